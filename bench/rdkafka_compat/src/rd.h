/* Ferry's stand-in for librdkafka's internal rd.h/rdtime.h, just enough to build the
 * rdkafka_performance example that Debian ships in librdkafka-dev (whose internal headers the
 * package does not include). Written for Ferry; not librdkafka code. */
#ifndef FERRY_RDKAFKA_COMPAT_RD_H
#define FERRY_RDKAFKA_COMPAT_RD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int64_t rd_ts_t; /* microseconds */

static inline rd_ts_t rd_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (rd_ts_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define rd_snprintf snprintf
#define RD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RD_UNUSED __attribute__((unused))

#endif
