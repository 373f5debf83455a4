/*
 * main.c - docketd's entry point: options, configuration, and (with
 * --check-config) validation alone.  The JSON-RPC server itself is built
 * in the server issue; until then this binary validates configurations.
 */
#include "dk_config.h"
#include "dk_log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DOCKET_VERSION
#define DOCKET_VERSION "0.1.0"
#endif

static void usage(FILE *fp)
{
    fprintf(fp, "usage: docketd [--config FILE] [--check-config]\n"
                "  --config FILE    configuration (default "
                "$DOCKET_CONFIG or /etc/docket/config.yaml)\n"
                "  --check-config   validate the configuration and exit 0 "
                "(valid) or 1\n"
                "  --version        print the version\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0}};
    const char *path = getenv("DOCKET_CONFIG");
    struct dk_config cfg;
    struct dk_diag diag;
    bool check = false;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("docketd %s\n", DOCKET_VERSION);
            return 0;
        case ':':
            fprintf(stderr, "docketd: option \"%s\" needs a value\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "docketd: unknown option \"%s\"\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "docketd: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!path || !*path)
        path = "/etc/docket/config.yaml";

    dk_diag_init(&diag);
    rc = dk_config_load(&cfg, path, &diag);
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "docketd: %s\n", diag.lines[i]);
    dk_diag_cleanup(&diag);
    if (rc != 0) {
        dk_config_cleanup(&cfg);
        return 1;
    }
    if (check) {
        printf("%s: configuration is valid\n", path);
        dk_config_cleanup(&cfg);
        return 0;
    }
    dk_config_cleanup(&cfg);
    fprintf(stderr, "docketd: this build only checks configurations "
                    "(--check-config); the server arrives with issue 4\n");
    return 2;
}
