/*
 * test_dk_addr.c - addresses for listening and connecting: IPv4, IPv6 in
 * brackets, localhost, names from /etc/hosts, and every malformed form
 * with its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dk_addr.h"

static void test_dk_addr_resolve__ip_addresses(void **state)
{
    struct sockaddr_storage sa;
    struct sockaddr_in *in = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
    char err[300], text[64];

    (void)state;
    assert_int_equal(
        dk_addr_resolve("10.1.2.3:7878", true, &sa, err, sizeof(err)), 0);
    assert_int_equal(sa.ss_family, AF_INET);
    assert_int_equal(ntohs(in->sin_port), 7878);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    assert_string_equal(text, "10.1.2.3");

    assert_int_equal(
        dk_addr_resolve("[::1]:8080", false, &sa, err, sizeof(err)), 0);
    assert_int_equal(sa.ss_family, AF_INET6);
    assert_int_equal(ntohs(in6->sin6_port), 8080);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    assert_string_equal(text, "::1");

    assert_int_equal(dk_addr_resolve("0.0.0.0:1", true, &sa, err, sizeof(err)),
                     0);
    assert_int_equal(ntohs(in->sin_port), 1);
}

static void test_dk_addr_resolve__localhost_is_ipv4_loopback(void **state)
{
    struct sockaddr_storage sa;
    char err[300], text[64];

    (void)state;
    /* Whatever order the resolver prefers: the server and its clients
     * must agree on one. */
    assert_int_equal(
        dk_addr_resolve("localhost:7878", false, &sa, err, sizeof(err)), 0);
    assert_int_equal(sa.ss_family, AF_INET);
    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, text,
              sizeof(text));
    assert_string_equal(text, "127.0.0.1");
}

static void test_dk_addr_resolve__names_are_looked_up(void **state)
{
    struct sockaddr_storage sa;
    char err[300], text[64];

    (void)state;
    /* Not the special "localhost" (that comparison is exact), so this is
     * a real lookup; /etc/hosts always has the name, and its matching
     * ignores case.  No DNS is needed. */
    assert_int_equal(
        dk_addr_resolve("LOCALHOST:7878", false, &sa, err, sizeof(err)), 0);
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, text,
                  sizeof(text));
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, text,
                  sizeof(text));
    assert_true(strcmp(text, "127.0.0.1") == 0 || strcmp(text, "::1") == 0);
}

static void expect_error(const char *addr, const char *message)
{
    struct sockaddr_storage sa;
    char err[300];

    assert_int_equal(dk_addr_resolve(addr, true, &sa, err, sizeof(err)), -1);
    assert_string_equal(err, message);
}

static void test_dk_addr_resolve__malformed_forms_are_named(void **state)
{
    (void)state;
    expect_error("7878", "\"7878\" is not HOST:PORT");
    expect_error(":7878", "\":7878\" is not HOST:PORT");
    expect_error("::1:7878", "\"::1:7878\" is not HOST:PORT");
    expect_error("[::1]7878", "\"[::1]7878\" is not [IPV6]:PORT");
    expect_error("[]:7878", "\"[]:7878\" is not [IPV6]:PORT");
    expect_error("[::1:7878", "\"[::1:7878\" is not [IPV6]:PORT");
    expect_error("host:0", "\"0\" is not a port from 1 to 65535");
    expect_error("host:65536", "\"65536\" is not a port from 1 to 65535");
    expect_error("host:http", "\"http\" is not a port from 1 to 65535");
    expect_error("host:", "\"\" is not a port from 1 to 65535");
}

static struct sockaddr_storage sa_of(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, ip,
                       &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    return ss;
}

static bool in(const char *net, const char *ip)
{
    struct dk_cidr c;
    struct sockaddr_storage ss = sa_of(ip);

    assert_int_equal(dk_cidr_parse(net, &c), 0);
    return dk_cidr_match(&c, (struct sockaddr *)&ss);
}

static void test_dk_cidr__networks_hold_their_addresses(void **state)
{
    assert_true(in("127.0.0.0/8", "127.9.8.7"));
    assert_false(in("127.0.0.0/8", "128.0.0.1"));
    assert_true(in("192.0.2.0/25", "192.0.2.127"));
    assert_false(in("192.0.2.0/25", "192.0.2.128"));
    assert_true(in("0.0.0.0/0", "203.0.113.9"));
    assert_true(in("192.0.2.7", "192.0.2.7"));
    assert_false(in("192.0.2.7", "192.0.2.8"));
    assert_true(in("::1/128", "::1"));
    assert_false(in("::1/128", "::2"));
    assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in("2001:db8::/33", "2001:db8:8000::1"));
    /* A dual-stack socket's IPv4 peer is matched as IPv4, never as v6. */
    assert_true(in("127.0.0.0/8", "::ffff:127.0.0.1"));
    assert_false(in("::/0", "127.0.0.1"));
    assert_false(in("127.0.0.0/8", "::1"));
}

static void test_dk_cidr__malformed_networks_are_refused(void **state)
{
    static const char *const bad[] = {
        "",         "/8",          "127.0.0.0/",  "127.0.0.0/33",
        "::/129",   "10.0.0.0/-1", "10.0.0.0/8x", "localhost",
        "10.0.0/8", "1.2.3.4/ 8"};
    struct dk_cidr c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dk_cidr_parse(bad[i], &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_addr_resolve__ip_addresses),
        cmocka_unit_test(test_dk_addr_resolve__localhost_is_ipv4_loopback),
        cmocka_unit_test(test_dk_addr_resolve__names_are_looked_up),
        cmocka_unit_test(test_dk_addr_resolve__malformed_forms_are_named),
        cmocka_unit_test(test_dk_cidr__networks_hold_their_addresses),
        cmocka_unit_test(test_dk_cidr__malformed_networks_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
