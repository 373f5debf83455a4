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

#endif
