/*
 * fuzz_csv.c - libFuzzer harness for the CSV reader: every record it
 * returns has NUL-terminated fields inside its buffer, and any input ends
 * in end-of-input or an error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dk_csv c;
    struct dk_err err;
    unsigned line, last = 0;
    int rc;

    dk_csv_init(&c, (const char *)data, size);
    while ((rc = dk_csv_next(&c, &line, &err)) > 0) {
        if (line < last || c.nfields == 0)
            abort();
        last = line;
        for (size_t i = 0; i < c.nfields; i++)
            (void)strlen(c.fields[i]);
    }
    dk_csv_cleanup(&c);
    return 0;
}
