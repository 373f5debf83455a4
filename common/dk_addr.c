/*
 * dk_addr.c - address parsing and resolution shared by docketd and the
 * client.  The form is checked here as well as in the config loader,
 * since --server comes from the command line.
 */
#include "dk_addr.h"
#include "dk_text.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

int dk_cidr_parse(const char *s, struct dk_cidr *out)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    unsigned long bits;
    char *end;

    if (n == 0 || n >= sizeof(host))
        return -1;
    memcpy(host, s, n);
    host[n] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = AF_INET;
        out->bits = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = AF_INET6;
        out->bits = 128;
    } else {
        return -1;
    }
    if (slash) {
        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        bits = strtoul(slash + 1, &end, 10);
        if (*end || bits > out->bits)
            return -1;
        out->bits = (unsigned)bits;
    }
    return 0;
}

bool dk_cidr_match(const struct dk_cidr *c, const struct sockaddr *sa)
{
    const unsigned char *a;
    unsigned full, rest;

    if (sa->sa_family == AF_INET) {
        if (c->family != AF_INET)
            return false;
        a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (c->family == AF_INET) {
            /* ::ffff:a.b.c.d is an IPv4 peer on a dual-stack socket. */
            if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0)
                return false;
            a += 12;
        }
    } else {
        return false;
    }
    full = c->bits / 8;
    rest = c->bits % 8;
    if (memcmp(a, c->addr, full) != 0)
        return false;
    if (rest) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        if ((a[full] & mask) != (c->addr[full] & mask))
            return false;
    }
    return true;
}
