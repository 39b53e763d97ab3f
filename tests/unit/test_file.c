/* tests/unit/test_file.c — daemon/core/file.c: whole-file reads refuse
 * FIFOs, directories and devices without blocking, and bound the size.
 * A FIFO without a writer would hang a blocking open(2) forever: alarm(5)
 * turns such a hang into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

static char dir[64];

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "test_file: a read blocked for 5 s\n";
    (void)!write(2, m, sizeof m - 1);
    _exit(1);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_file.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    signal(SIGALRM, on_alarm);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, size_t n, char *path, size_t plen)
{
    snprintf(path, plen, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), f);
    assert_int_equal(fclose(f), 0);
}

/* rc and the reason, within the alarm */
static void refused_rc(const char *path, size_t max, int rc, const char *why_expected)
{
    char *buf = (char *)1, why[256] = "";
    size_t len = 7;
    alarm(5);
    assert_int_equal(edd_file_read(path, max, &buf, &len, why, sizeof why), rc);
    alarm(0);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_string_equal(why, why_expected);
}

static void refused(const char *path, size_t max, const char *why_expected)
{
    refused_rc(path, max, -1, why_expected);
}

static void test_regular(void **state)
{
    (void)state;
    char p[128], *buf, why[256];
    size_t len;
    put("ten", 10, p, sizeof p);
    assert_int_equal(edd_file_read(p, 100, &buf, &len, why, sizeof why), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "abcdefghij", 10);
    assert_int_equal(buf[10], '\0');
    edd_file_free(buf, 100, 1);
    /* exactly max bytes is accepted, max + 1 is not */
    assert_int_equal(edd_file_read(p, 10, &buf, &len, why, sizeof why), 0);
    assert_int_equal(len, 10);
    edd_file_free(buf, 10, 0);
    refused(p, 9, "larger than 9 bytes");
    put("empty", 0, p, sizeof p);
    assert_int_equal(edd_file_read(p, 10, &buf, &len, why, sizeof why), 0);
    assert_int_equal(len, 0);
    assert_int_equal(buf[0], '\0');
    edd_file_free(buf, 10, 0);
}

static void test_fifo(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/fifo", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    refused(p, 4096, "not a regular file"); /* no writer: open would block */
}

static void test_not_regular(void **state)
{
    (void)state;
    refused(dir, 4096, "not a regular file");
    refused("/dev/zero", 4096, "not a regular file"); /* endless bytes */
    refused("/dev/null", 4096, "not a regular file");
    char p[128];
    snprintf(p, sizeof p, "%s/nothere", dir);
    refused_rc(p, 4096, -2, "No such file or directory"); /* open(2) failed */
}

static void test_symlink_to_fifo(void **state)
{
    (void)state;
    char f[128], l[128];
    snprintf(f, sizeof f, "%s/fifo2", dir);
    snprintf(l, sizeof l, "%s/link", dir);
    assert_int_equal(mkfifo(f, 0600), 0);
    assert_int_equal(symlink(f, l), 0);
    refused(l, 4096, "not a regular file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_symlink_to_fifo),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
