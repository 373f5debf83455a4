/*
 * dk_err.c - filling a caller-owned struct dk_err.
 */
#include "dk_err.h"

#include <stdarg.h>
#include <stdio.h>

int dk_err_set(struct dk_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void dk_err_clear(struct dk_err *err)
{
    if (!err)
        return;
    err->code = DK_OK;
    err->msg[0] = '\0';
}
