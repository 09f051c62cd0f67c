// SPDX-License-Identifier: GPL-2.0
/* The folded stacks merged into a tree, laid out root at the bottom, written as SVG. */
#include "profile/flamegraph.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SVG_WIDTH    1200
#define FRAME_HEIGHT 16
#define PAD_TOP	     48
#define PAD_BOTTOM   32
#define PAD_SIDE     10
/* Frames narrower than this many pixels are left out, as flamegraph.pl does. */
#define MIN_WIDTH 0.1

struct node {
	char *name;
	uint64_t value;
	struct node *child, *next; /* first child, next sibling */
};

static struct node *child_of(struct node *parent, const char *name, size_t len)
{
	struct node *c;

	for (c = parent->child; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = strndup(name, len);
	if (!c->name) {
		free(c);
		return NULL;
	}
	c->next = parent->child;
	parent->child = c;
	return c;
}

static void tree_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		tree_free(n->child);
		free(n->name);
		free(n);
		n = next;
	}
}

static int tree_add(struct node *root, const char *folded, uint64_t value)
{
	struct node *at = root;
	const char *p = folded;

	root->value += value;
	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		at = child_of(at, p, len);
		if (!at)
			return -ENOMEM;
		at->value += value;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

static unsigned int depth_of(const struct node *n)
{
	unsigned int d = 0;

	for (const struct node *c = n->child; c; c = c->next) {
		unsigned int cd = depth_of(c);

		if (cd > d)
			d = cd;
	}
	return d + 1;
}

static void write_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, out);
		}
	}
}

/* The name cut to what fits @w pixels (about 7 a character), as the script does on zoom. */
static void write_label(FILE *out, const char *name, double w)
{
	int fits = (int)((w - 6) / 7);
	size_t len = strlen(name);
	char buf[512];

	if (fits < 3)
		return;
	if (len > (size_t)fits)
		snprintf(buf, sizeof(buf), "%.*s..", fits - 2, name);
	else
		snprintf(buf, sizeof(buf), "%s", name);
	write_escaped(out, buf);
}

/* Warm colours for user frames, orange for the kernel's, blues for time off CPU. */
static void frame_color(const char *name, bool ns, char *buf, size_t size)
{
	unsigned int h = 0;
	size_t len = strlen(name);

	for (const char *c = name; *c; c++)
		h = h * 31 + (unsigned char)*c;
	if (ns)
		snprintf(buf, size, "rgb(%u,%u,%u)", 60 + h % 60, 110 + (h >> 8) % 80,
			 190 + (h >> 16) % 60);
	else if (len > 4 && !strcmp(name + len - 4, "_[k]"))
		snprintf(buf, size, "rgb(%u,%u,%u)", 230 + h % 25, 140 + (h >> 8) % 60,
			 40 + (h >> 16) % 30);
	else
		snprintf(buf, size, "rgb(%u,%u,%u)", 205 + h % 50, 70 + (h >> 8) % 130,
			 40 + (h >> 16) % 50);
}

struct layout {
	FILE *out;
	uint64_t total;
	double scale; /* pixels per unit of value */
	unsigned int depth;
	bool ns;
};

static void write_node(struct layout *l, const struct node *n, unsigned int level, double x)
{
	double w = (double)n->value * l->scale;
	double y = PAD_TOP + (double)(l->depth - 1 - level) * FRAME_HEIGHT;
	char color[32];

	if (w < MIN_WIDTH)
		return;
	frame_color(n->name, l->ns, color, sizeof(color));
	fprintf(l->out, "<g class=\"f\" data-x=\"%.4f\" data-w=\"%.4f\" data-v=\"%llu\"><title>",
		x - PAD_SIDE, w, (unsigned long long)n->value);
	write_escaped(l->out, n->name);
	if (l->ns)
		fprintf(l->out, " (%.3f ms, %.2f%%)", (double)n->value / 1e6,
			100.0 * (double)n->value / (double)l->total);
	else
		fprintf(l->out, " (%llu samples, %.2f%%)", (unsigned long long)n->value,
			100.0 * (double)n->value / (double)l->total);
	fprintf(l->out,
		"</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
		x, y, w, FRAME_HEIGHT - 1, color, x + 3, y + FRAME_HEIGHT - 4.5);
	write_label(l->out, n->name, w);
	fputs("</text><desc>", l->out);
	write_escaped(l->out, n->name);
	fputs("</desc></g>\n", l->out);
	for (const struct node *c = n->child; c; c = c->next) {
		write_node(l, c, level + 1, x);
		x += (double)c->value * l->scale;
	}
}

/* Zoom, search and labels that fit their frames; kept short, no external resource. */
static const char script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"var W="
	"1180"
	",P=10,frames=[],matchRe=null;\n"
	"function init(){frames=Array.prototype.slice.call(document.getElementsByClassName('f'));"
	"frames.forEach(function(g){g.onclick=function(){zoom(g)};});show(0,W);}\n"
	"function label(g,w){var t=g.querySelector('text'),n=g.querySelector('desc').textContent;"
	"var c=Math.floor((w-6)/7);t.textContent=c<3?'':(n.length>c?n.substr(0,c-2)+'..':n);}\n"
	"function show(zx,zw){var k=W/zw;frames.forEach(function(g){"
	"var x=parseFloat(g.dataset.x),w=parseFloat(g.dataset.w),r=g.querySelector('rect');"
	"var nx=(x-zx)*k,nw=w*k;if(nx+nw<=0.01||nx>=W-0.01||nw<0.1){g.style.display='none';"
	"return;}if(nx<0){nw+=nx;nx=0;}if(nx+nw>W)nw=W-nx;g.style.display='';"
	"r.setAttribute('x',P+nx);r.setAttribute('width',nw);"
	"g.querySelector('text').setAttribute('x',P+nx+3);label(g,nw);});"
	"document.getElementById('reset').style.opacity=zw<W?1:0;}\n"
	"function zoom(g){show(parseFloat(g.dataset.x),parseFloat(g.dataset.w));}\n"
	"function reset(){show(0,W);}\n"
	"function search(){var s=prompt('Search (a regular expression):','');"
	"if(s===null)return;var re;try{re=new RegExp(s);}catch(e){alert(e);return;}"
	"var tot=0,hit=0,spans=[];frames.forEach(function(g){"
	"var n=g.querySelector('desc').textContent,v=parseFloat(g.dataset.v),"
	"x=parseFloat(g.dataset.x),w=parseFloat(g.dataset.w),r=g.querySelector('rect');"
	"if(x===0&&w>=W-0.01&&!tot)tot=v;"
	"if(s&&re.test(n)){r.setAttribute('stroke','#e0f');r.setAttribute('stroke-width','2');"
	"if(!spans.some(function(p){return x>=p[0]&&x<p[1];})){spans.push([x,x+w]);hit+=v;}}"
	"else r.removeAttribute('stroke');});"
	"document.getElementById('matched').textContent=s?'Matched: '+"
	"(tot?(100*hit/tot).toFixed(2):'0')+'%':'';}\n"
	"]]></script>\n";

int flamegraph_write_svg(FILE *out, const struct stack_count *s, size_t n, const char *title,
			 bool ns)
{
	struct node root = { .name = "all" };
	struct layout l = { .out = out, .ns = ns };
	int ret = 0;
	unsigned int height;

	for (size_t i = 0; i < n && !ret; i++)
		ret = tree_add(&root, s[i].folded, s[i].value);
	if (ret)
		goto out;
	l.total = root.value ? root.value : 1;
	l.scale = (double)(SVG_WIDTH - 2 * PAD_SIDE) / (double)l.total;
	l.depth = depth_of(&root);
	height = PAD_TOP + l.depth * FRAME_HEIGHT + PAD_BOTTOM;
	fprintf(out,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%u\" onload=\"init()\" "
		"viewBox=\"0 0 %d %u\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
		".f:hover rect{stroke:#000;stroke-width:0.5}.f{cursor:pointer}"
		"#title{font-size:17px;text-anchor:middle}"
		".btn{cursor:pointer;fill:#333}</style>\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	_Static_assert(SVG_WIDTH - 2 * PAD_SIDE == 1180, "the script's W");
	fputs(script, out);
	fprintf(out,
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f0\"/>\n"
		"<text id=\"title\" x=\"%d\" y=\"24\">",
		SVG_WIDTH / 2);
	write_escaped(out, title);
	fprintf(out,
		"</text>\n<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"24\" onclick=\"reset()\" "
		"style=\"opacity:0\">Reset zoom</text>\n"
		"<text class=\"btn\" x=\"%d\" y=\"24\" onclick=\"search()\">Search</text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%u\"></text>\n",
		PAD_SIDE, SVG_WIDTH - 60, SVG_WIDTH - 200, height - 10);
	write_node(&l, &root, 0, PAD_SIDE);
	fputs("</svg>\n", out);
out:
	tree_free(root.child);
	return ret;
}
