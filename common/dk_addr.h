/*
 * dk_addr.h - "HOST:PORT" and "[V6]:PORT" addresses (server.listen,
 * http.listen, docket --server) to socket addresses.  HOST may be an IP
 * address or a name; names are looked up with getaddrinfo(3), which
 * blocks, so this is for start-up only.
 */
#ifndef DK_ADDR_H
#define DK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Split addr into host (brackets removed) and port, checking the form
 * only.  Returns 0, or -1 with what is wrong in err. */
int dk_addr_split(const char *addr, char *host, size_t hostsize, unsigned *port,
                  char *err, size_t errsize);

/*
 * Fill *out with addr's first address (to listen on when passive, else to
 * connect to).  "localhost" is 127.0.0.1, whatever the resolver prefers,
 * so the server and its clients agree.  Returns 0, or -1 with what went
 * wrong in err.
 */
int dk_addr_resolve(const char *addr, bool passive,
                    struct sockaddr_storage *out, char *err, size_t errsize);

/* A network: an IPv4 or IPv6 address and the bits of it that count. */
struct dk_cidr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned bits;
};

/* Parse "192.0.2.0/24", "2001:db8::/32", or an address alone (all its
 * bits).  Returns 0, or -1 for anything else. */
int dk_cidr_parse(const char *s, struct dk_cidr *out);
/* True if sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as
 * IPv4) lies in c. */
bool dk_cidr_match(const struct dk_cidr *c, const struct sockaddr *sa);

#endif
