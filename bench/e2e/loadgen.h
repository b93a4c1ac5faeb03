/*
 * Shared declarations of Sluice's load generator (loadgen.c, latency.c).
 *
 * The load generator is C on librdkafka, in the manner of librdkafka's rdkafka_performance, so
 * that the client is never the bottleneck the end-to-end benchmark measures. Every mode prints
 * exactly one JSON line on stdout; diagnostics and progress go to stderr.
 */
#ifndef SLUICE_LOADGEN_H
#define SLUICE_LOADGEN_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  const char *mode;
  const char *brokers;
  const char *topic;
  int partitions;       /* for create, and for --mock topics; 0 = read from metadata */
  int record_bytes;     /* payload size of each record */
  long long count;      /* records to produce or consume; 0 = no limit */
  long long duration_ms;/* produce for this long; 0 = no limit */
  const char *acks;     /* "0", "1", "all" */
  const char *compression;
  int linger_ms;        /* -1 = librdkafka's default */
  int batch_bytes;      /* -1 = librdkafka's default */
  int batch_records;    /* -1 = librdkafka's default */
  int idle_ms;          /* consume: stop after this long without a record */
  int rate;             /* latency: records per second */
  int fetch_wait_max_ms;
  int mock;             /* run against an in-process librdkafka mock cluster */
  int progress;         /* print progress to stderr every second */
  const char **extra;   /* extra librdkafka properties, "key=value" */
  int extra_count;
} options_t;

enum { THREADS_MAX = 64 };

typedef struct {
  int count;
  int tid[THREADS_MAX];
  unsigned long long ticks[THREADS_MAX];
  char name[THREADS_MAX][32];
} thread_ticks_t;

typedef struct {
  double share; /* CPU seconds over wall seconds: 1.0 is a whole core */
  char name[32];
} thread_cpu_t;

extern volatile sig_atomic_t stop_requested;

uint64_t now_ns(void);
void sleep_until(uint64_t deadline_ns);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
rd_kafka_conf_t *base_conf(const options_t *o);
void conf_set(rd_kafka_conf_t *conf, const char *key, const char *value);
int wait_for_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms);
void fill_payload_pool(char *pool, size_t size);
void read_thread_ticks(thread_ticks_t *out);
thread_cpu_t busiest_thread(const thread_ticks_t *before, double seconds);

int run_latency(const options_t *o);
int run_wakeup(const options_t *o);
int run_hist_selftest(void);

#endif
