/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test harness in the style of the kernel's BPF selftests.
 *
 *   TEST(name) { ... }             defines and registers a test
 *   ASSERT_EQ(a, b, "what")        return true when it holds; otherwise print file:line,
 *                                  the values, mark the test failed and return false
 *   SKIP("why")                    mark the test skipped, with the reason printed
 *
 * Each binary prints "name: PASS|FAIL|SKIP (why)" per test and ends with
 * "N passed, N failed, N skipped". Run one test: ./binary name-substring.
 */
#ifndef VIGIL_TESTS_HARNESS_H
#define VIGIL_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);

void harness_register(const char *name, test_fn fn);
bool harness_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool harness_is_root(void);

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void register_##name(void)                             \
	{                                                                                          \
		harness_register(#name, name);                                                     \
	}                                                                                          \
	static void name(void)

#define ASSERT_TRUE(cond, what)	 harness_check(!!(cond), __FILE__, __LINE__, "%s", what)
#define ASSERT_FALSE(cond, what) harness_check(!(cond), __FILE__, __LINE__, "%s: is true", what)

#define ASSERT_EQ(a, b, what)                                                                      \
	({                                                                                         \
		long long __a = (long long)(a), __b = (long long)(b);                              \
		harness_check(__a == __b, __FILE__, __LINE__, "%s: got %lld, want %lld", what,     \
			      __a, __b);                                                           \
	})

#define ASSERT_NEQ(a, b, what)                                                                     \
	({                                                                                         \
		long long __a = (long long)(a), __b = (long long)(b);                              \
		harness_check(__a != __b, __FILE__, __LINE__, "%s: got %lld, want anything else",  \
			      what, __a);                                                          \
	})

#define ASSERT_GE(a, b, what)                                                                      \
	({                                                                                         \
		long long __a = (long long)(a), __b = (long long)(b);                              \
		harness_check(__a >= __b, __FILE__, __LINE__, "%s: got %lld, want >= %lld", what,  \
			      __a, __b);                                                           \
	})

#define ASSERT_OK(err, what)                                                                       \
	({                                                                                         \
		long long __e = (long long)(err);                                                  \
		harness_check(__e == 0, __FILE__, __LINE__, "%s: error %lld (%s)", what, __e,      \
			      strerror(__e < 0 ? (int)-__e : (int)__e));                           \
	})

#define ASSERT_STREQ(a, b, what)                                                                   \
	({                                                                                         \
		const char *__a = (a), *__b = (b);                                                 \
		harness_check(__a &&__b &&strcmp(__a, __b) == 0, __FILE__, __LINE__,               \
			      "%s: got \"%s\", want \"%s\"", what, __a ? __a : "(null)",           \
			      __b ? __b : "(null)");                                               \
	})

#define ASSERT_NOT_NULL(p, what) harness_check((p) != NULL, __FILE__, __LINE__, "%s: is NULL", what)

#define SKIP(...) harness_skip(__VA_ARGS__)

/* Skip the calling test unless we are root; evaluates to true when the test must return. */
#define SKIP_UNLESS_ROOT()                                                                         \
	(!harness_is_root() ? (harness_skip("needs root (BPF); run as root"), true) : false)

#endif
