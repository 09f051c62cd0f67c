// SPDX-License-Identifier: GPL-2.0
/* vigil top's full-screen view: draws perf/topview.h's rows with ncurses, reads keys. */
#include "perf/topscreen.h"

#include <curses.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#define KEY_ESC 27

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *grouping_label(enum top_grouping g)
{
	return g == TOP_BY_PROCESS ? "process" : g == TOP_BY_CGROUP ? "cgroup" : "cgroup tree";
}

static void draw(const struct top_view *v, const char *mode, bool waiting)
{
	char hms[16], cell[300];
	time_t t = time(NULL);
	int y = 3;

	erase();
	strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&t));
	mvprintw(0, 0, "vigil top - %s  %.1f s  %zu %s active  %s", hms, v->seconds, v->n,
		 v->grouping == TOP_BY_PROCESS ? "processes" : "cgroups", mode);
	if (v->missed)
		printw("  %llu updates missed", (unsigned long long)v->missed);
	mvprintw(1, 0, "sort %s (< >)  by %s (g)  tree (t)  filter%s%s (/)  q quits",
		 top_col_name(v->sort), grouping_label(v->grouping), v->filter[0] ? " " : "",
		 v->filter);
	move(2, 0);
	for (int c = 0; c < TOP_COL_COUNT; c++) {
		if (c == (int)v->sort)
			attron(A_REVERSE);
		printw("%*s", top_col_width(c), top_col_heading(v, c));
		if (c == (int)v->sort)
			attroff(A_REVERSE);
		addch(' ');
	}
	if (waiting)
		mvprintw(y, 0, "(collecting the first interval)");
	for (size_t i = 0; i < v->n && y < LINES; i++, y++) {
		move(y, 0);
		for (int c = 0; c < TOP_COL_NAME; c++)
			printw("%*s ", top_col_width(c),
			       top_cell(v, &v->rows[i], c, cell, sizeof(cell)));
		/* the name up to the screen's edge, not wrapped onto the next row */
		top_cell(v, &v->rows[i], TOP_COL_NAME, cell, sizeof(cell));
		if (getcurx(stdscr) < COLS)
			addnstr(cell, COLS - getcurx(stdscr));
	}
	refresh();
}

/* Read a filter on the last line: Enter sets it, Esc leaves it as it was. */
static void read_filter(struct top_view *v)
{
	char buf[sizeof(v->filter)] = "";
	size_t len = 0;
	int ch;

	timeout(-1);
	curs_set(1);
	for (;;) {
		mvprintw(LINES - 1, 0, "filter (comm or cgroup): %s", buf);
		clrtoeol();
		refresh();
		ch = getch();
		if (ch == '\n' || ch == KEY_ENTER) {
			memcpy(v->filter, buf, sizeof(buf));
			break;
		}
		if (ch == KEY_ESC)
			break;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len)
			buf[--len] = '\0';
		else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(buf))
			buf[len++] = (char)ch, buf[len] = '\0';
	}
	curs_set(0);
}

/* One key: true when the rows must be regrouped. */
static bool on_key(struct top_view *v, int ch, bool *quit)
{
	switch (ch) {
	case 'q':
	case 'Q':
		*quit = true;
		return false;
	case '<':
	case ',':
		v->sort = (v->sort + TOP_COL_COUNT - 1) % TOP_COL_COUNT;
		return true;
	case '>':
	case '.':
		v->sort = (v->sort + 1) % TOP_COL_COUNT;
		return true;
	case 'P':
		v->sort = TOP_COL_CPU;
		return true;
	case 'N':
		v->sort = TOP_COL_PID;
		return true;
	case 'g':
		v->grouping = v->grouping == TOP_BY_PROCESS ? TOP_BY_CGROUP : TOP_BY_PROCESS;
		return true;
	case 't':
		v->grouping = v->grouping == TOP_CGROUP_TREE ? TOP_BY_CGROUP : TOP_CGROUP_TREE;
		return true;
	case '/':
		read_filter(v);
		return true;
	default:
		return ch == KEY_RESIZE;
	}
}

int top_screen_run(struct top_view *v, const char *mode, double interval,
		   volatile sig_atomic_t *stop)
{
	SCREEN *scr = newterm(NULL, stdout, stdin);
	double next = now_s() + interval;
	bool quit = false, waiting = true;
	int ret = 0;

	/* newterm, unlike initscr, does not exit when the terminal is unusable */
	if (!scr)
		return -ENOTTY;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	draw(v, mode, waiting);
	while (!quit && !*stop) {
		double left = next - now_s();
		int ch;

		if (left <= 0) {
			ret = top_view_refresh(v);
			if (ret)
				break;
			waiting = false;
			next += interval;
			if (next < now_s())
				next = now_s() + interval;
			draw(v, mode, waiting);
			continue;
		}
		timeout((int)(left * 1000) + 1);
		ch = getch();
		if (ch == ERR)
			continue;
		if (ch == ' ') {
			next = now_s();
			continue;
		}
		if (on_key(v, ch, &quit) && !quit) {
			ret = top_view_regroup(v);
			if (ret)
				break;
			/* repainted whole: a new layout, not a few cells changed */
			clearok(curscr, TRUE);
			draw(v, mode, waiting);
		}
	}
	endwin();
	delscreen(scr);
	return ret;
}
