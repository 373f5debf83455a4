/*
 * fuzz_config.c - libFuzzer harness for the configuration loader: any
 * bytes must give either a configuration or diagnostics, never a crash,
 * a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "dk_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dk_config cfg;
    struct dk_diag diag;

    dk_diag_init(&diag);
    dk_config_load_buffer(&cfg, "fuzz.yaml", (const char *)data, size, &diag);
    dk_config_cleanup(&cfg);
    dk_diag_cleanup(&diag);
    return 0;
}
