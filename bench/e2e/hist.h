/*
 * A log-linear latency histogram in the manner of HdrHistogram, for loadgen's latency mode.
 *
 * librdkafka has one internally (rd_hdr_histogram) but does not export it, so this is our own.
 * Values are nanoseconds. Values below 2*SUB are counted exactly; above that, each power of two
 * is split into SUB equal sub-buckets, so any value is recorded with a relative error below
 * 1/SUB (about 0.1%). Percentiles report the highest value equivalent to the bucket, as
 * HdrHistogram does, so they never understate a latency. The exact minimum, maximum and sum are
 * kept beside the buckets.
 */
#ifndef SLUICE_HIST_H
#define SLUICE_HIST_H

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HIST_SUB_BITS 10
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Values up to 2^42 ns (about 73 minutes) are kept; larger ones are clamped into the top bucket. */
#define HIST_MAX_BITS 42
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 2) * HIST_SUB)

typedef struct {
  uint64_t counts[HIST_BUCKETS];
  uint64_t total;
  uint64_t min_ns;
  uint64_t max_ns;
  double sum_ns;
} hist_t;

static inline void hist_init(hist_t *h) {
  memset(h, 0, sizeof(*h));
  h->min_ns = UINT64_MAX;
}

static inline uint32_t hist_index(uint64_t value_ns) {
  if (value_ns >= (1ull << HIST_MAX_BITS)) value_ns = (1ull << HIST_MAX_BITS) - 1;
  if (value_ns < 2 * HIST_SUB) return (uint32_t)value_ns;
  uint32_t msb = 63 - (uint32_t)__builtin_clzll(value_ns);
  uint32_t shift = msb - HIST_SUB_BITS; /* >= 1, so value_ns >> shift is in [SUB, 2*SUB) */
  uint32_t index = shift * HIST_SUB + (uint32_t)(value_ns >> shift);
  assert(index < HIST_BUCKETS);
  return index;
}

/* The highest value that lands in bucket `index`. */
static inline uint64_t hist_highest_equivalent(uint32_t index) {
  if (index < 2 * HIST_SUB) return index;
  uint32_t shift = index / HIST_SUB - 1;
  uint64_t lowest = (uint64_t)(index - shift * HIST_SUB) << shift;
  return lowest + (1ull << shift) - 1;
}

static inline void hist_record(hist_t *h, uint64_t value_ns) {
  h->counts[hist_index(value_ns)]++;
  h->total++;
  h->sum_ns += (double)value_ns;
  if (value_ns < h->min_ns) h->min_ns = value_ns;
  if (value_ns > h->max_ns) h->max_ns = value_ns;
}

/* The value at percentile `p` (0..100]: the smallest recorded value such that p% are at or below. */
static inline uint64_t hist_percentile(const hist_t *h, double p) {
  if (h->total == 0) return 0;
  uint64_t rank = (uint64_t)((p / 100.0) * (double)h->total + 0.5);
  if (rank < 1) rank = 1;
  if (rank > h->total) rank = h->total;
  uint64_t seen = 0;
  for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      uint64_t v = hist_highest_equivalent(i);
      return v > h->max_ns ? h->max_ns : v;
    }
  }
  return h->max_ns;
}

#endif
