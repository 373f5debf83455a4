/*
 * test_tui_keymap.c - the keymap: defaults from keys.def, written key
 * names, and rebinding from client.keys with errors naming file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "keymap.h"

#include <curses.h>
#include "keymap.h"

static void test_keymap__defaults_follow_keys_def(void **state)
{
    int km[KEYMAP_SIZE];

    keymap_defaults(km);
    assert_int_equal(km['c'], ACT_CLAIM);
    assert_int_equal(km['j'], ACT_DOWN);
    assert_int_equal(km[KEY_DOWN], ACT_DOWN);
    assert_int_equal(km['\r'], ACT_OPEN);
    assert_int_equal(km['?'], ACT_HELP);
    assert_int_equal(km['z'], ACT_NONE);
    assert_int_equal(keymap_action("claim"), ACT_CLAIM);
    assert_int_equal(keymap_action("PAGE_DOWN"), ACT_PAGE_DOWN);
    assert_int_equal(keymap_action("nothing"), ACT_NONE);
    assert_string_equal(keymap_action_name(ACT_PAGE_DOWN), "page_down");
}

static void test_keymap_parse_key__written_forms(void **state)
{
    assert_int_equal(keymap_parse_key("c"), 'c');
    assert_int_equal(keymap_parse_key("C"), 'C');
    assert_int_equal(keymap_parse_key("C-x"), 24);
    assert_int_equal(keymap_parse_key("Enter"), '\r');
    assert_int_equal(keymap_parse_key("pgdn"), KEY_NPAGE);
    assert_int_equal(keymap_parse_key("S-Tab"), KEY_BTAB);
    assert_int_equal(keymap_parse_key(""), -1);
    assert_int_equal(keymap_parse_key(NULL), -1);
    assert_int_equal(keymap_parse_key("Hyper-Q"), -1);
    assert_int_equal(keymap_parse_key("\x01"), -1);
}

static void test_keymap_apply__rebinds_and_reports(void **state)
{
    int km[KEYMAP_SIZE];
    char *keys[] = {"claim", "note"}, *values[] = {"C", "a n"};
    unsigned lines[] = {3, 4}, cols[] = {5, 5};
    struct dk_pairs p = {2, keys, values, lines, cols};
    struct dk_diag d;

    keymap_defaults(km);
    dk_diag_init(&d);
    assert_int_equal(keymap_apply(km, &p, "c.yaml", &d), 0);
    assert_int_equal(km['C'], ACT_CLAIM);
    assert_int_equal(km['c'], ACT_NONE); /* the default key is gone */
    assert_int_equal(km['a'], ACT_NOTE);
    assert_int_equal(km['n'], ACT_NOTE);

    keys[0] = "clam";
    values[1] = "Hyper-Q";
    assert_int_equal(keymap_apply(km, &p, "c.yaml", &d), 2);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.lines[0], "c.yaml:3:5: client.keys.clam: no such "
                                    "action (? in docket lists them)");
    assert_string_equal(d.lines[1],
                        "c.yaml:4:5: client.keys.note: \"Hyper-Q\" is not a "
                        "key (a character, C-x, Enter, Tab, PgDn...)");
    assert_int_equal(km['a'], ACT_NOTE); /* nothing changed */
    dk_diag_cleanup(&d);
}

static void test_keymap_keys__as_help_writes_them(void **state)
{
    int km[KEYMAP_SIZE];
    char out[64];

    keymap_defaults(km);
    keymap_keys(km, ACT_DOWN, out, sizeof(out));
    assert_string_equal(out, "j Down");
    /* \r, \n and KEY_ENTER are all Enter: written once. */
    keymap_keys(km, ACT_OPEN, out, sizeof(out));
    assert_string_equal(out, "Enter");
    keymap_keys(km, ACT_NEXT_VIEW, out, sizeof(out));
    assert_string_equal(out, "Tab l");
    /* Control keys as client.keys writes them; a hint names the first
     * default while it is bound, else the lowest key left. */
    keymap_keys(km, ACT_SEND, out, sizeof(out));
    assert_string_equal(out, "C-d C-s");
    keymap_key(km, ACT_SEND, out, sizeof(out));
    assert_string_equal(out, "C-s");
    km[CTRL_KEY('s')] = ACT_NONE;
    keymap_key(km, ACT_SEND, out, sizeof(out));
    assert_string_equal(out, "C-d");
    km[CTRL_KEY('d')] = ACT_NONE;
    keymap_key(km, ACT_SEND, out, sizeof(out));
    assert_string_equal(out, "");
    assert_string_equal(keymap_help(ACT_CLAIM),
                        "claim (graphics claim when waiting on graphics)");
    assert_string_equal(keymap_help(ACT_NONE), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keymap__defaults_follow_keys_def),
        cmocka_unit_test(test_keymap_parse_key__written_forms),
        cmocka_unit_test(test_keymap_apply__rebinds_and_reports),
        cmocka_unit_test(test_keymap_keys__as_help_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
