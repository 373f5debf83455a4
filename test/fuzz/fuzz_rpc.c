/*
 * fuzz_rpc.c - libFuzzer harness for the JSON-RPC line parser: any bytes
 * give a request or an error code with a message, and an error reply can
 * always be built for them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dk_rpc_req req;
    char msg[256];
    size_t len;
    char *reply;
    int code;

    msg[0] = '\0';
    code = dk_rpc_parse(&req, (const char *)data, size, msg, sizeof(msg));
    if (code != 0 && msg[0] == '\0')
        abort();
    if (code == 0 && (!req.method || !*req.method))
        abort();
    reply =
        dk_rpc_error(req.id, code ? code : DK_RPC_INTERNAL, msg, NULL, &len);
    if (!reply || reply[len - 1] != '\n' || memchr(reply, '\n', len - 1))
        abort();
    free(reply);
    dk_rpc_req_cleanup(&req);
    return 0;
}
