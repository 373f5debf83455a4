/*
 * main.c - docketctl: find the subcommand in commands[], load the
 * configuration (--config may stand before or after the subcommand), run.
 */
#include "ctl.h"
#include "dk_secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

static const struct ctl_cmd commands[] = {
    {"migrate", NULL, ctl_migrate, "docketctl migrate", 1},
    {"staff", "add", ctl_staff_add,
     "docketctl staff add USERNAME --name NAME --email EMAIL "
     "--role ROLE[,ROLE...] [--unix-user USER] [--password-stdin]",
     1},
    {"staff", "list", ctl_staff_list, "docketctl staff list", 1},
    {"staff", "set", ctl_staff_set,
     "docketctl staff set USERNAME [--name NAME] [--email EMAIL] "
     "[--role ROLE[,ROLE...]] [--unix-user USER | --no-unix-user]",
     1},
    {"staff", "disable", ctl_staff_disable, "docketctl staff disable USERNAME",
     1},
    {"staff", "enable", ctl_staff_enable, "docketctl staff enable USERNAME", 1},
    {"staff", "passwd", ctl_staff_passwd,
     "docketctl staff passwd USERNAME [--password-stdin]", 1},
    {"staff", "key add", ctl_staff_key_add,
     "docketctl staff key add USERNAME [--label TEXT]   (an OpenSSH public "
     "key line on stdin)",
     1},
    {"staff", "key list", ctl_staff_key_list,
     "docketctl staff key list [USERNAME]", 1},
    {"staff", "key remove", ctl_staff_key_remove,
     "docketctl staff key remove FINGERPRINT", 1},
    {"ssh-authorized-keys", NULL, ctl_ssh_authorized_keys,
     "docketctl ssh-authorized-keys USER TYPE KEY   (sshd's "
     "AuthorizedKeysCommand, with %u %t %k)",
     1},
    {"company", "add", ctl_company_add,
     "docketctl company add NAME [--website URL] [--domain DOMAIN]", 1},
    {"company", "list", ctl_company_list, "docketctl company list", 1},
    {"contact", "add", ctl_contact_add,
     "docketctl contact add EMAIL --first F --last L [--title T] "
     "[--phone P] [--company NAME]",
     1},
    {"contact", "import", ctl_contact_import,
     "docketctl contact import FILE.csv   "
     "(header: email,first,last,title,phone,company)",
     1},
    {"contact", "invite", ctl_contact_invite,
     "docketctl contact invite EMAIL   (a fresh portal registration link)", 1},
    {"list", "add-member", ctl_list_add_member,
     "docketctl list add-member LIST EMAIL", 1},
    {"list", "remove-member", ctl_list_remove_member,
     "docketctl list remove-member LIST EMAIL", 1},
    {"list", "members", ctl_list_members, "docketctl list members LIST", 1},
    {"ticket", "create", ctl_ticket_create,
     "docketctl ticket create --contact EMAIL --subject S "
     "[--priority low|medium|high] [--source phone|email|form|portal] "
     "(description on stdin)",
     1},
    {"template", "add", ctl_template_add,
     "docketctl template add FOLDER NAME --subject S [--replace]   (body on "
     "stdin)",
     1},
    {"workflow", "add", ctl_workflow_add,
     "docketctl workflow add NAME --step FOLDER/TEMPLATE:DELAY [--step ...]",
     1},
    {"workflow", "enroll", ctl_workflow_enroll,
     "docketctl workflow enroll WORKFLOW EMAIL", 1},
    {"mail-in", NULL, ctl_mail_in,
     "docketctl mail-in   (one RFC 5322 message on stdin)", 75},
    {"demo-data", NULL, ctl_demo_data,
     "docketctl demo-data [--unix-user USER] [--password-stdin]", 1},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *fp)
{
    fprintf(fp, "usage: docketctl [--config FILE] COMMAND [ARGS...]\n\n"
                "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %s\n", commands[i].usage + strlen("docketctl "));
    fprintf(fp, "\nThe configuration is FILE, else $DOCKET_CONFIG, else "
                "/etc/docket/config.yaml.\n");
}

/*
 * Take --config FILE / --config=FILE out of argv wherever it stands, so
 * "docketctl --config F migrate" and "docketctl migrate --config F" both
 * work.  Returns the new argc; *bad is set after printing a problem.
 */
static int take_config(struct ctl *c, int argc, char **argv, bool *bad)
{
    int out = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "docketctl: option \"--config\" needs a "
                                "file name\n");
                *bad = true;
                break;
            }
            c->config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            c->config_path = argv[i] + 9;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    return out;
}

/*
 * How many words of argv from argv[2] spell sub ("key add" is two), or 0
 * if they do not.
 */
static int sub_words(const char *sub, int argc, char **argv)
{
    int words = 0;

    for (const char *p = sub; *p; words++) {
        size_t len = strcspn(p, " ");
        if (2 + words >= argc || strlen(argv[2 + words]) != len ||
            strncmp(argv[2 + words], p, len) != 0)
            return 0;
        p += len;
        p += strspn(p, " ");
    }
    return words;
}

static const struct ctl_cmd *find_command(int argc, char **argv, int *used)
{
    const struct ctl_cmd *name_match = NULL;
    int words;

    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, argv[1]) != 0)
            continue;
        name_match = &commands[i];
        if (!commands[i].sub) {
            *used = 1;
            return &commands[i];
        }
        if ((words = sub_words(commands[i].sub, argc, argv)) > 0) {
            *used = 1 + words;
            return &commands[i];
        }
    }
    *used = name_match ? 1 : 0;
    return NULL;
}

static void list_subcommands(const char *name)
{
    fprintf(stderr, "usage:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            fprintf(stderr, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
    struct ctl c = {0};
    struct dk_diag diag;
    const struct ctl_cmd *cmd;
    char cmdname[64];
    int used, rc, cannot_start;
    bool bad = false;

    argc = take_config(&c, argc, argv, &bad);
    if (bad && argc < 2)
        return 2;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("docketctl %s (schema version %d)\n", DOCKET_VERSION,
               dk_schema_version);
        return 0;
    }
    cmd = find_command(argc, argv, &used);
    if (!cmd) {
        if (used) {
            if (argc > 2)
                fprintf(stderr, "docketctl: %s: unknown subcommand \"%s\"\n",
                        argv[1], argv[2]);
            else
                fprintf(stderr, "docketctl: %s: needs a subcommand\n", argv[1]);
            list_subcommands(argv[1]);
        } else {
            fprintf(stderr,
                    "docketctl: unknown command \"%s\" (see "
                    "docketctl --help)\n",
                    argv[1]);
        }
        return 2;
    }
    cannot_start = cmd->cannot_start;
    if (bad)
        return cannot_start;
    snprintf(cmdname, sizeof(cmdname), "%s%s%s", cmd->name, cmd->sub ? " " : "",
             cmd->sub ? cmd->sub : "");
    c.cmd = cmdname;

    if (!c.config_path)
        c.config_path = getenv("DOCKET_CONFIG");
    if (!c.config_path || !*c.config_path)
        c.config_path = "/etc/docket/config.yaml";
    dk_diag_init(&diag);
    if (dk_config_load(&c.cfg, c.config_path, &diag) != 0) {
        for (size_t i = 0; i < diag.n; i++)
            fprintf(stderr, "docketctl: %s\n", diag.lines[i]);
        if (cannot_start != 1)
            fprintf(stderr,
                    "docketctl: %s: not done (exit %d: the mail server "
                    "keeps the message and tries again)\n",
                    cmdname, cannot_start);
        dk_diag_cleanup(&diag);
        dk_config_cleanup(&c.cfg);
        return cannot_start;
    }
    dk_diag_cleanup(&diag);
    if (dk_secret_init() != 0) {
        fprintf(stderr, "docketctl: could not initialise libsodium\n");
        dk_config_cleanup(&c.cfg);
        return cannot_start;
    }

    /* The handler sees "docketctl staff add" as argv[0]. */
    argv[used] = (char *)cmd->usage;
    rc = cmd->run(&c, argc - used, argv + used);
    if (c.pg)
        PQfinish(c.pg);
    dk_config_cleanup(&c.cfg);
    return rc;
}
