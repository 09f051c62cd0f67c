// SPDX-License-Identifier: GPL-2.0
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TESTS 256

struct test_case {
	const char *name;
	test_fn fn;
};

static struct test_case tests[MAX_TESTS];
static int n_tests;
static bool cur_failed, cur_skipped;
static char skip_reason[256];

void harness_register(const char *name, test_fn fn)
{
	if (n_tests == MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests in one binary\n", MAX_TESTS);
		exit(1);
	}
	tests[n_tests++] = (struct test_case){ name, fn };
}

bool harness_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	cur_failed = true;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return false;
}

void harness_skip(const char *fmt, ...)
{
	va_list ap;

	cur_skipped = true;
	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
}

bool harness_is_root(void)
{
	return geteuid() == 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		cur_failed = cur_skipped = false;
		tests[i].fn();
		if (cur_failed) {
			printf("%s: FAIL\n", tests[i].name);
			failed++;
		} else if (cur_skipped) {
			printf("%s: SKIP (%s)\n", tests[i].name, skip_reason);
			skipped++;
		} else {
			printf("%s: PASS\n", tests[i].name);
			passed++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
