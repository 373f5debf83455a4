/*
 * test_auth_limiter.c - which address a login attempt counts under: IPv4
 * as it is, IPv6 by its /64 (loopback offers only ::1, so the grouping is
 * tested here), IPv4-mapped IPv6 as IPv4, none on the Unix socket.  The
 * counting itself is SQL (schema/functions/logins.sql), tested against
 * PostgreSQL by test/integration/rpc_abuse.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "limiter.h"

static const char *addr(const char *peer, bool is_unix)
{
    static char buf[64];

    return limiter_address(peer, is_unix, buf, sizeof(buf));
}

static void test_limiter_address__ipv4_as_it_is(void **state)
{
    assert_string_equal(addr("192.0.2.7:40000", false), "192.0.2.7");
    assert_string_equal(addr("127.0.0.1:1", false), "127.0.0.1");
}

static void test_limiter_address__ipv6_by_its_64(void **state)
{
    /* Two hosts of one /64 count as one; another /64 apart. */
    assert_string_equal(addr("2001:db8:1:2:aaaa::1:443", false),
                        "2001:db8:1:2::/64");
    assert_string_equal(addr("2001:db8:1:2:ffff:ffff:ffff:ffff:5000", false),
                        "2001:db8:1:2::/64");
    assert_string_equal(addr("2001:db8:1:3::9:5000", false),
                        "2001:db8:1:3::/64");
    assert_string_equal(addr("[2001:db8::7]:8080", false), "2001:db8::/64");
    assert_string_equal(addr("::1:7878", false), "::/64");
    /* A dual-stack socket's IPv4 peer is an IPv4 peer. */
    assert_string_equal(addr("::ffff:198.51.100.4:2000", false),
                        "198.51.100.4");
}

static void test_limiter_address__none_for_the_socket_or_garbage(void **state)
{
    assert_null(addr("unix:uid=1000", true));
    assert_null(addr("192.0.2.7:40000", true));
    assert_null(addr("?:0", false));
    assert_null(addr("no-port", false));
    assert_null(addr("999.1.1.1:5", false));
    assert_null(addr("", false));
    /* A buffer too small for the /64 form gives none, not a cut key. */
    {
        char small[8];
        assert_null(limiter_address("2001:db8:1:2::1:443", false, small,
                                    sizeof(small)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limiter_address__ipv4_as_it_is),
        cmocka_unit_test(test_limiter_address__ipv6_by_its_64),
        cmocka_unit_test(test_limiter_address__none_for_the_socket_or_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
