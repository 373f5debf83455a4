/*
 * dk_addr.c - address parsing and resolution shared by docketd and the
 * client.  The form is checked here as well as in the config loader,
 * since --server comes from the command line.
 */
#include "dk_addr.h"
#include "dk_text.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

int dk_addr_split(const char *addr, char *host, size_t hostsize, unsigned *port,
                  char *err, size_t errsize)
{
    unsigned long long p;
    const char *colon;
    size_t hlen;

    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close == addr + 1 || close[1] != ':') {
            snprintf(err, errsize, "\"%s\" is not [IPV6]:PORT", addr);
            return -1;
        }
        colon = close + 1;
        hlen = (size_t)(close - addr - 1);
        addr++;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || colon == addr ||
            memchr(addr, ':', (size_t)(colon - addr))) {
            snprintf(err, errsize, "\"%s\" is not HOST:PORT", addr);
            return -1;
        }
        hlen = (size_t)(colon - addr);
    }
    if (dk_uint_parse(colon + 1, 65535, &p) != 0 || p == 0) {
        snprintf(err, errsize, "\"%s\" is not a port from 1 to 65535",
                 colon + 1);
        return -1;
    }
    if (hlen >= hostsize) {
        snprintf(err, errsize, "the host name is too long");
        return -1;
    }
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    *port = (unsigned)p;
    return 0;
}

int dk_addr_resolve(const char *addr, bool passive,
                    struct sockaddr_storage *out, char *err, size_t errsize)
{
    struct addrinfo hints, *res = NULL;
    char host[256], portstr[8];
    unsigned port;
    int rc;

    if (dk_addr_split(addr, host, sizeof(host), &port, err, errsize) != 0)
        return -1;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    snprintf(portstr, sizeof(portstr), "%u", port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        snprintf(err, errsize, "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}
