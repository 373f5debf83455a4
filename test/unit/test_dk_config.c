/*
 * test_dk_config.c - the configuration loader: defaults, every key type,
 * every error path, all errors reported at once, the example file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_config.h"
#include "dk_err.h"
#include "dk_views.h"
#include "dk_log.h"

static int load(struct dk_config *cfg, struct dk_diag *d, const char *yaml)
{
    dk_diag_init(d);
    return dk_config_load_buffer(cfg, "t.yaml", yaml, strlen(yaml), d);
}

/* True if some diagnostic line equals want. */
static bool has_line(const struct dk_diag *d, const char *want)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->lines[i], want) == 0)
            return true;
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "  got: %s\n", d->lines[i]);
    fprintf(stderr, "  wanted: %s\n", want);
    return false;
}

static void test_dk_config__defaults_match_spec(void **state)
{
    struct dk_config cfg;

    dk_config_defaults(&cfg);
    assert_string_equal(cfg.database.conninfo, "dbname=docket");
    assert_int_equal(cfg.database.pool_size, 4);
    assert_string_equal(cfg.server.socket, "/run/docket/docket.sock");
    assert_string_equal(cfg.server.listen, "127.0.0.1:7878");
    assert_int_equal(cfg.server.max_line_bytes, 1048576);
    assert_int_equal(cfg.server.max_output_bytes, 8 * 1024 * 1024);
    assert_string_equal(cfg.server.instance, "");
    assert_int_equal(cfg.session.idle_timeout, 1800);
    assert_string_equal(cfg.mail.smtp_url, "smtp://127.0.0.1:25");
    assert_string_equal(cfg.mail.from, "Support <support@example.com>");
    assert_string_equal(cfg.http.listen, "127.0.0.1:8080");
    assert_int_equal(cfg.log.level, DK_LOG_INFO);
    assert_true(cfg.portal.enabled);
    assert_string_equal(cfg.portal.base_url, "http://127.0.0.1:8080");
    assert_string_equal(cfg.portal.title, "Customer Portal");
    assert_string_equal(cfg.portal.ticket_label, "Tickets");
    assert_int_equal(cfg.portal.access, DK_ACCESS_LIST);
    assert_string_equal(cfg.portal.access_list, "Authorized Portal Users");
    assert_int_equal(cfg.portal.visibility, DK_VISIBILITY_OWN);
    assert_false(cfg.portal.show_stage_names);
    assert_int_equal(cfg.portal.pipelines.n, 2);
    assert_string_equal(cfg.portal.pipelines.v[0], "support");
    assert_string_equal(cfg.portal.pipelines.v[1], "graphics");
    assert_true(cfg.portal.support_form.enabled);
    assert_string_equal(cfg.portal.support_form.menu_text, "Submit a request");
    assert_string_equal(cfg.portal.support_form.header_text,
                        "How can we help?");
    assert_string_equal(cfg.portal.consent_text,
                        "We use your details to answer your requests.");
    assert_string_equal(cfg.portal.sso.jwt_secret, "");
    dk_config_cleanup(&cfg);
}

static void test_dk_config__empty_file_gives_defaults(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    assert_int_equal(load(&cfg, &d, ""), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(cfg.database.pool_size, 4);
    dk_config_cleanup(&cfg);
    assert_int_equal(load(&cfg, &d, "# only a comment\n"), 0);
    dk_config_cleanup(&cfg);
    assert_int_equal(load(&cfg, &d, "database:\n"), 0);
    assert_string_equal(cfg.database.conninfo, "dbname=docket");
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__every_type_is_read(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;
    const char *yaml = "database:\n"
                       "  conninfo: \"host=/tmp dbname=x\"\n"
                       "  pool_size: 12\n"
                       "server:\n"
                       "  socket: /tmp/d.sock\n"
                       "  listen: \"[::1]:9000\"\n"
                       "  max_line_bytes: 2048\n"
                       "  instance: ~\n"
                       "session: {idle_timeout: 1h}\n"
                       "http:\n  listen: \"\"\n"
                       "log:\n  level: debug\n"
                       "portal:\n"
                       "  enabled: no\n"
                       "  access: self_registration\n"
                       "  visibility: company\n"
                       "  pipelines: [support]\n"
                       "  support_form: {enabled: false, menu_text: Ask us}\n"
                       "  sso: {jwt_secret: s3cret}\n";

    assert_int_equal(load(&cfg, &d, yaml), 0);
    assert_string_equal(cfg.database.conninfo, "host=/tmp dbname=x");
    assert_int_equal(cfg.database.pool_size, 12);
    assert_string_equal(cfg.server.socket, "/tmp/d.sock");
    assert_string_equal(cfg.server.listen, "[::1]:9000");
    assert_int_equal(cfg.server.max_line_bytes, 2048);
    assert_string_equal(cfg.server.instance, "");
    assert_int_equal(cfg.session.idle_timeout, 3600);
    assert_string_equal(cfg.http.listen, "");
    assert_int_equal(cfg.log.level, DK_LOG_DEBUG);
    assert_false(cfg.portal.enabled);
    assert_int_equal(cfg.portal.access, DK_ACCESS_SELF_REGISTRATION);
    assert_int_equal(cfg.portal.visibility, DK_VISIBILITY_COMPANY);
    assert_int_equal(cfg.portal.pipelines.n, 1);
    assert_false(cfg.portal.support_form.enabled);
    assert_string_equal(cfg.portal.support_form.menu_text, "Ask us");
    assert_string_equal(cfg.portal.support_form.header_text,
                        "How can we help?");
    assert_string_equal(cfg.portal.sso.jwt_secret, "s3cret");
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__durations(void **state)
{
    static const struct {
        const char *text;
        long long seconds;
    } ok[] = {{"30", 30},
              {"30s", 30},
              {"30m", 1800},
              {"1h", 3600},
              {"\"45m\"", 2700}};
    struct dk_config cfg;
    struct dk_diag d;
    char yaml[128];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(yaml, sizeof(yaml), "session:\n  idle_timeout: %s\n",
                 ok[i].text);
        assert_int_equal(load(&cfg, &d, yaml), 0);
        assert_int_equal(cfg.session.idle_timeout, ok[i].seconds);
        dk_config_cleanup(&cfg);
        dk_diag_cleanup(&d);
    }
    assert_int_equal(load(&cfg, &d, "session:\n  idle_timeout: 2w\n"),
                     DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:2:17: session.idle_timeout: expected a "
                             "duration: seconds, or a number with s, m, h or "
                             "d (30s, 30m, 1h, 14d)"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "session:\n  idle_timeout: 5\n"),
                     DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:2:17: session.idle_timeout: must be "
                             "between 10 and 2592000 seconds"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__unknown_key_names_file_line_column(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    assert_int_equal(load(&cfg, &d, "database:\n  poolsize: 3\n"), DK_EINVAL);
    assert_int_equal(d.n, 1);
    assert_true(has_line(&d, "t.yaml:2:3: database.poolsize: unknown key"));
    /* Nothing half-loaded survives a failure. */
    assert_int_equal(cfg.database.pool_size, 4);
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "colour: blue\n"), DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:1:1: colour: unknown key"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__every_error_is_reported(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;
    const char *yaml = "database:\n"
                       "  pool_size: many\n"
                       "  pool_size: 3\n"
                       "server:\n"
                       "  listen: nowhere\n"
                       "  max_line_bytes: 10\n"
                       "log:\n"
                       "  level: loud\n"
                       "portal:\n"
                       "  enabled: maybe\n"
                       "  base_url: ftp://x\n"
                       "  pipelines: support\n"
                       "  sso: [1]\n"
                       "mail:\n"
                       "  smtp_url: {a: b}\n";

    assert_int_equal(load(&cfg, &d, yaml), DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:2:14: database.pool_size: expected a "
                             "whole number"));
    assert_true(has_line(&d, "t.yaml:3:3: database.pool_size: duplicate key"));
    assert_true(has_line(&d, "t.yaml:5:11: server.listen: expected HOST:PORT "
                             "(or \"\" to turn it off)"));
    assert_true(has_line(&d, "t.yaml:6:19: server.max_line_bytes: must be "
                             "between 1024 and 268435456"));
    assert_true(has_line(&d, "t.yaml:8:10: log.level: must be one of: error, "
                             "warn, info, debug"));
    assert_true(has_line(&d, "t.yaml:10:12: portal.enabled: expected true or "
                             "false"));
    assert_true(has_line(&d, "t.yaml:11:13: portal.base_url: expected a URL "
                             "starting with http:// or https://"));
    assert_true(has_line(&d, "t.yaml:12:14: portal.pipelines: expected a list "
                             "of names, like [support]"));
    assert_true(has_line(&d, "t.yaml:13:8: portal.sso: expected a mapping of "
                             "keys"));
    assert_true(has_line(&d, "t.yaml:15:13: mail.smtp_url: expected a single "
                             "value, not a mapping"));
    assert_int_equal(d.n, 10);
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__out_of_range_numbers(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    assert_int_equal(load(&cfg, &d, "database: {pool_size: 0}\n"), DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:1:23: database.pool_size: must be "
                             "between 1 and 100"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(
        load(&cfg, &d, "database: {pool_size: 99999999999999999999999}\n"),
        DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:1:23: database.pool_size: must be "
                             "between 1 and 100"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "database: {pool_size: -3}\n"), DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:1:23: database.pool_size: expected a "
                             "whole number"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__malformed_yaml(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    assert_int_equal(load(&cfg, &d, "database:\n  pool_size: [1, 2\n"),
                     DK_EINVAL);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.lines[0], "t.yaml:3:1: invalid YAML: "));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "a: b\n  c: d\n"), DK_EINVAL);
    assert_non_null(strstr(d.lines[0], "t.yaml:2:4: invalid YAML: "));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "- a\n- b\n"), DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:1:1: expected a mapping of keys at the "
                             "top"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "log: {level: info}\n---\nlog: {}\n"),
                     DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:2:1: only one YAML document is allowed"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__missing_file_is_an_error(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    dk_diag_init(&d);
    assert_int_equal(dk_config_load(&cfg, "/nonexistent/docket.yaml", &d),
                     DK_EFAIL);
    assert_true(has_line(&d, "/nonexistent/docket.yaml: could not open: No "
                             "such file or directory"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__message_id_domain_is_a_dns_name(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;
    static const char *const bad[] = {
        "agency.example>", "a b.example", "-a.example", "a-.example",
        "a..example",      ".example",    "example.",   "x@agency.example",
    };

    assert_int_equal(load(&cfg, &d, ""), 0);
    assert_string_equal(cfg.mail.message_id_domain, "");
    dk_config_cleanup(&cfg);
    assert_int_equal(
        load(&cfg, &d, "mail: {message_id_domain: mail.agency-1.example}\n"),
        0);
    assert_string_equal(cfg.mail.message_id_domain, "mail.agency-1.example");
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d, "mail: {message_id_domain: ~}\n"), 0);
    assert_string_equal(cfg.mail.message_id_domain, "");
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char yaml[128];
        snprintf(yaml, sizeof(yaml), "mail:\n  message_id_domain: \"%s\"\n",
                 bad[i]);
        assert_int_equal(load(&cfg, &d, yaml), DK_EINVAL);
        assert_true(has_line(&d, "t.yaml:2:22: mail.message_id_domain: "
                                 "expected a domain name, like "
                                 "\"mail.example.org\" (or \"\" for the "
                                 "default)"));
        dk_config_cleanup(&cfg);
        dk_diag_cleanup(&d);
    }
}

static void test_dk_config__example_file_loads_with_the_defaults(void **state)
{
    const char *src = getenv("DOCKET_SOURCE_DIR");
    struct dk_config cfg, def;
    struct dk_diag d;
    char path[4096];

    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/config.example.yaml", src);
    dk_diag_init(&d);
    assert_int_equal(dk_config_load(&cfg, path, &d), 0);
    assert_int_equal(d.n, 0);
    /* The example documents the defaults: loading it changes nothing. */
    dk_config_defaults(&def);
    assert_string_equal(cfg.database.conninfo, def.database.conninfo);
    assert_int_equal(cfg.database.pool_size, def.database.pool_size);
    assert_string_equal(cfg.server.socket, def.server.socket);
    assert_string_equal(cfg.server.listen, def.server.listen);
    assert_int_equal(cfg.server.max_line_bytes, def.server.max_line_bytes);
    assert_int_equal(cfg.server.max_output_bytes, def.server.max_output_bytes);
    assert_int_equal(cfg.session.idle_timeout, def.session.idle_timeout);
    assert_int_equal(cfg.session.max_login_failures,
                     def.session.max_login_failures);
    assert_int_equal(cfg.session.login_lockout, def.session.login_lockout);
    assert_string_equal(cfg.mail.smtp_url, def.mail.smtp_url);
    assert_string_equal(cfg.mail.from, def.mail.from);
    assert_string_equal(cfg.mail.message_id_domain, def.mail.message_id_domain);
    assert_string_equal(cfg.http.listen, def.http.listen);
    assert_int_equal(cfg.log.level, def.log.level);
    assert_int_equal(cfg.portal.enabled, def.portal.enabled);
    assert_string_equal(cfg.portal.base_url, def.portal.base_url);
    assert_string_equal(cfg.portal.title, def.portal.title);
    assert_string_equal(cfg.portal.ticket_label, def.portal.ticket_label);
    assert_int_equal(cfg.portal.access, def.portal.access);
    assert_string_equal(cfg.portal.access_list, def.portal.access_list);
    assert_int_equal(cfg.portal.visibility, def.portal.visibility);
    assert_int_equal(cfg.portal.show_stage_names, def.portal.show_stage_names);
    assert_int_equal(cfg.portal.pipelines.n, def.portal.pipelines.n);
    assert_string_equal(cfg.portal.support_form.menu_text,
                        def.portal.support_form.menu_text);
    assert_string_equal(cfg.portal.support_form.header_text,
                        def.portal.support_form.header_text);
    assert_string_equal(cfg.portal.consent_text, def.portal.consent_text);
    assert_int_equal(cfg.portal.idle_timeout, def.portal.idle_timeout);
    assert_string_equal(cfg.portal.sso.jwt_audience,
                        def.portal.sso.jwt_audience);
    dk_config_cleanup(&def);
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

static void test_dk_config__client_section(void **state)
{
    struct dk_config cfg;
    struct dk_diag d;

    assert_int_equal(load(&cfg, &d,
                          "client:\n"
                          "  default_view: unassigned\n"
                          "  colors: mono\n"
                          "  keys: {claim: C, note: \"a n\"}\n"),
                     0);
    assert_int_equal(cfg.client.default_view, 1);
    assert_string_equal(dk_view_names[cfg.client.default_view], "unassigned");
    assert_int_equal(cfg.client.colors, DK_COLORS_MONO);
    assert_int_equal(cfg.client.keys.n, 2);
    assert_string_equal(cfg.client.keys.key[1], "note");
    assert_string_equal(cfg.client.keys.value[1], "a n");
    assert_int_equal(cfg.client.keys.line[0], 4);
    assert_int_equal(cfg.client.keys.column[0], 10);
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
    assert_int_equal(load(&cfg, &d,
                          "client:\n  keys: [c]\n  default_view: "
                          "mine\n"),
                     DK_EINVAL);
    assert_true(has_line(&d, "t.yaml:2:9: client.keys: expected a mapping, "
                             "like {claim: C}"));
    assert_true(has_line(&d, "t.yaml:3:17: client.default_view: must be one "
                             "of: my_open, unassigned, waiting_on_graphics, "
                             "my_graphics, open, closed"));
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dk_config__defaults_match_spec),
        cmocka_unit_test(test_dk_config__empty_file_gives_defaults),
        cmocka_unit_test(test_dk_config__every_type_is_read),
        cmocka_unit_test(test_dk_config__durations),
        cmocka_unit_test(test_dk_config__unknown_key_names_file_line_column),
        cmocka_unit_test(test_dk_config__every_error_is_reported),
        cmocka_unit_test(test_dk_config__out_of_range_numbers),
        cmocka_unit_test(test_dk_config__malformed_yaml),
        cmocka_unit_test(test_dk_config__missing_file_is_an_error),
        cmocka_unit_test(test_dk_config__message_id_domain_is_a_dns_name),
        cmocka_unit_test(test_dk_config__example_file_loads_with_the_defaults),
        cmocka_unit_test(test_dk_config__client_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
