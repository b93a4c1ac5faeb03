/*
 * Sluice's load generator: produce, consume, create and mock modes (latency lives in latency.c,
 * and wakeup, the machine's own wake-up latency, in wakeup.c).
 *
 * Written against librdkafka in the manner of its rdkafka_performance example, so the end-to-end
 * benchmark (bench/e2e/run.ts) measures the broker and not the client. Each run prints one JSON
 * line on stdout; sizes are payload bytes and MB means 10^6 bytes. `--mock` starts librdkafka's
 * in-process mock cluster (rd_kafka_mock_cluster_new) and runs the same workload against it, the
 * reference point issue 5 asks us to beat: it keeps records in memory and does no I/O.
 *
 * Usage: loadgen <produce|consume|latency|create|mock> [options]; see usage() below.
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeps until CLOCK_MONOTONIC reads deadline_ns, across signals. */
void sleep_until(uint64_t deadline_ns) {
  struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000ull),
                        .tv_nsec = (long)(deadline_ns % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) {
  }
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

void conf_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    die("cannot set librdkafka property %s=%s: %s", key, value, errstr);
}

static void conf_set_int(rd_kafka_conf_t *conf, const char *key, long long value) {
  char text[32];
  snprintf(text, sizeof(text), "%lld", value);
  conf_set(conf, key, text);
}

rd_kafka_conf_t *base_conf(const options_t *o) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", o->brokers);
  conf_set(conf, "client.id", "sluice-loadgen");
  /* Nagle would add up to 40 ms to small requests and make latency figures meaningless. */
  conf_set(conf, "socket.nagle.disable", "true");
  for (int i = 0; i < o->extra_count; i++) {
    char key[256];
    const char *eq = strchr(o->extra[i], '=');
    if (!eq || eq == o->extra[i] || (size_t)(eq - o->extra[i]) >= sizeof(key))
      die("-X expects key=value, got '%s'", o->extra[i]);
    memcpy(key, o->extra[i], (size_t)(eq - o->extra[i]));
    key[eq - o->extra[i]] = '\0';
    conf_set(conf, key, eq + 1);
  }
  return conf;
}

/* Waits until the topic has partitions that all have a leader; returns the partition count. */
int wait_for_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
  const char *last_problem = "no answer";
  while (!stop_requested) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 2000);
    int count = 0;
    if (err) {
      last_problem = rd_kafka_err2str(err);
    } else if (md->topic_cnt != 1 || md->topics[0].err) {
      last_problem = md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "topic missing";
    } else {
      count = md->topics[0].partition_cnt;
      for (int p = 0; p < md->topics[0].partition_cnt; p++)
        if (md->topics[0].partitions[p].leader < 0) count = 0;
      if (!count) last_problem = "partition without leader";
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (count > 0) {
      rd_kafka_topic_destroy(rkt);
      return count;
    }
    if (now_ns() > deadline) break;
    usleep(100 * 1000);
  }
  die("topic %s has no usable partitions after %d ms: %s", topic, timeout_ms, last_problem);
}

/* Word-like text, so lz4 finds repeats the way it would in log lines or JSON, but not trivially. */
void fill_payload_pool(char *pool, size_t size) {
  static const char *words[] = {"sluice", "kafka", "offset", "record", "batch", "partition",
                                "leader", "epoch", "{\"id\":", "\"ts\":", "true,", "null,",
                                "2026-11-22T03:", "user-", "GET /api/v1/", "200 OK"};
  uint64_t state = 0x9e3779b97f4a7c15ull;
  size_t at = 0;
  while (at < size) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    const char *word = words[state % (sizeof(words) / sizeof(words[0]))];
    for (const char *c = word; *c && at < size; c++) pool[at++] = *c;
    if (at < size) pool[at++] = (char)('0' + (state >> 32) % 10);
    if (at < size) pool[at++] = ' ';
  }
}

/* Reads the CPU ticks (user + system) of each of this process's threads. */
void read_thread_ticks(thread_ticks_t *out) {
  out->count = 0;
  DIR *tasks = opendir("/proc/self/task");
  if (!tasks) return;
  struct dirent *entry;
  while ((entry = readdir(tasks)) && out->count < THREADS_MAX) {
    if (entry->d_name[0] == '.') continue;
    char path[300], stat[1024];
    snprintf(path, sizeof(path), "/proc/self/task/%s/stat", entry->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* Field 2 is "(comm)" and may hold spaces; utime and stime are fields 14 and 15. */
    char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    unsigned long long utime = 0, stime = 0;
    if (!open || !close || sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                                  &utime, &stime) != 2)
      continue;
    int i = out->count++;
    out->tid[i] = atoi(entry->d_name);
    out->ticks[i] = utime + stime;
    size_t len = (size_t)(close - open - 1);
    if (len > sizeof(out->name[i]) - 1) len = sizeof(out->name[i]) - 1;
    memcpy(out->name[i], open + 1, len);
    out->name[i][len] = '\0';
  }
  closedir(tasks);
}

/* The busiest thread since `before` was read, as a share of one core over `seconds`. A client
 * whose busiest thread is near 1.0 is the bottleneck itself: librdkafka parses every fetch
 * response, and builds every produce request, on one thread per broker connection. */
thread_cpu_t busiest_thread(const thread_ticks_t *before, double seconds) {
  thread_cpu_t busiest = {.share = 0, .name = "?"};
  static thread_ticks_t now;
  read_thread_ticks(&now);
  double ticks_per_second = (double)sysconf(_SC_CLK_TCK);
  for (int i = 0; i < now.count && seconds > 0; i++) {
    unsigned long long earlier = 0;
    for (int j = 0; j < before->count; j++)
      if (before->tid[j] == now.tid[i]) earlier = before->ticks[j];
    double share = (double)(now.ticks[i] - earlier) / ticks_per_second / seconds;
    if (share > busiest.share) {
      busiest.share = share;
      memcpy(busiest.name, now.name[i], sizeof(busiest.name));
    }
  }
  return busiest;
}

/* ---- produce ---------------------------------------------------------------------------- */

static long long delivered_records, delivered_bytes, delivery_errors;
static char first_delivery_error[256];

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk, (void)opaque;
  if (m->err) {
    if (delivery_errors++ == 0)
      snprintf(first_delivery_error, sizeof(first_delivery_error), "%s", rd_kafka_err2str(m->err));
    return;
  }
  delivered_records++;
  delivered_bytes += (long long)m->len;
}

static rd_kafka_t *new_producer(const options_t *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  conf_set(conf, "acks", o->acks);
  conf_set(conf, "compression.codec", o->compression);
  if (o->linger_ms >= 0) conf_set_int(conf, "linger.ms", o->linger_ms);
  if (o->batch_bytes > 0) conf_set_int(conf, "batch.size", o->batch_bytes);
  if (o->batch_records > 0) conf_set_int(conf, "batch.num.messages", o->batch_records);
  conf_set(conf, "queue.buffering.max.messages", "1000000");
  /* 64 MiB of queue keeps the pipeline full without a long drain after the clock stops. */
  conf_set(conf, "queue.buffering.max.kbytes", "65536");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("cannot create producer: %s", errstr);
  return rk;
}

static int run_produce(const options_t *o) {
  enum { POOL_BYTES = 1 << 20 };
  static char pool[POOL_BYTES + (1 << 20)];
  if (o->record_bytes < 0 || o->record_bytes > (1 << 20)) die("--size must be 0..1048576 bytes");
  fill_payload_pool(pool, sizeof(pool));

  rd_kafka_t *rk = new_producer(o);
  int partitions = wait_for_partitions(rk, o->topic, 15000);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  static thread_ticks_t ticks_at_start;
  read_thread_ticks(&ticks_at_start);
  uint64_t start_ns = now_ns(), duration_ns = (uint64_t)o->duration_ms * 1000000ull;
  uint64_t next_progress_ns = start_ns + 1000000000ull;
  long long sent = 0;
  while (!stop_requested && (o->count == 0 || sent < o->count)) {
    /* Payloads point into a static pool (no copy, no free), as rdkafka_performance does. */
    char *payload = pool + (size_t)(sent * 4093) % POOL_BYTES;
    int32_t partition = (int32_t)(sent % partitions);
    while (rd_kafka_produce(rkt, partition, 0, payload, (size_t)o->record_bytes, NULL, 0, NULL)) {
      rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce failed: %s", rd_kafka_err2str(err));
      rd_kafka_poll(rk, 1);
    }
    sent++;
    if ((sent & 1023) == 0) {
      rd_kafka_poll(rk, 0);
      uint64_t t = now_ns();
      if (duration_ns && t - start_ns >= duration_ns) break;
      if (o->progress && t >= next_progress_ns) {
        fprintf(stderr, "produce: %lld sent, %lld delivered\n", sent, delivered_records);
        next_progress_ns += 1000000000ull;
      }
    }
  }
  rd_kafka_resp_err_t flush_err = rd_kafka_flush(rk, 60000);
  double seconds = (double)(now_ns() - start_ns) / 1e9;
  thread_cpu_t busiest = busiest_thread(&ticks_at_start, seconds);
  printf("{\"mode\":\"produce\",\"topic\":\"%s\",\"partitions\":%d,\"recordBytes\":%d,"
         "\"acks\":\"%s\",\"compression\":\"%s\",\"sent\":%lld,\"records\":%lld,\"bytes\":%lld,"
         "\"seconds\":%.4f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f,\"errors\":%lld,"
         "\"firstError\":\"%s\",\"flushTimedOut\":%s,\"busiestThread\":\"%s\","
         "\"busiestThreadShare\":%.3f}\n",
         o->topic, partitions, o->record_bytes, o->acks, o->compression, sent, delivered_records,
         delivered_bytes, seconds, (double)delivered_records / seconds,
         (double)delivered_bytes / seconds / 1e6, delivery_errors, first_delivery_error,
         flush_err ? "true" : "false", busiest.name, busiest.share);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return delivery_errors || flush_err ? 2 : 0;
}

/* ---- consume ---------------------------------------------------------------------------- */

enum { PARTITIONS_MAX = 1024, BATCH_MAX = 4096 };

static rd_kafka_t *new_consumer(const options_t *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  /* The legacy (simple) consumer needs no group, so no coordinator is involved in the figures. */
  conf_set(conf, "enable.partition.eof", "true");
  conf_set_int(conf, "fetch.wait.max.ms", o->fetch_wait_max_ms);
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) die("cannot create consumer: %s", errstr);
  return rk;
}

static int run_consume(const options_t *o) {
  static rd_kafka_message_t *batch[BATCH_MAX];
  static char at_eof[PARTITIONS_MAX];
  rd_kafka_t *rk = new_consumer(o);
  int partitions = wait_for_partitions(rk, o->topic, 15000);
  if (partitions > PARTITIONS_MAX) die("topic has %d partitions, at most %d supported", partitions, PARTITIONS_MAX);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
  static thread_ticks_t ticks_at_start;
  read_thread_ticks(&ticks_at_start);
  uint64_t start_ns = now_ns(), first_ns = 0, last_ns = start_ns;
  for (int p = 0; p < partitions; p++)
    if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, queue))
      die("cannot start partition %d: %s", p, rd_kafka_err2str(rd_kafka_last_error()));
  long long records = 0, bytes = 0, errors = 0;
  int eof_count = 0;
  uint64_t idle_ns = (uint64_t)o->idle_ms * 1000000ull, next_progress_ns = start_ns + 1000000000ull;
  while (!stop_requested && (o->count == 0 || records < o->count)) {
    /* The call waits for a full batch or the timeout; a short timeout keeps the end time honest. */
    ssize_t n = rd_kafka_consume_batch_queue(queue, 10, batch, BATCH_MAX);
    uint64_t t = now_ns();
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t *m = batch[i];
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->partition >= 0 && m->partition < partitions && !at_eof[m->partition]++) eof_count++;
      } else if (m->err) {
        if (errors++ == 0) fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
      } else {
        if (m->partition >= 0 && m->partition < partitions && at_eof[m->partition])
          at_eof[m->partition] = 0, eof_count--;
        records++, bytes += (long long)m->len, last_ns = t;
        if (!first_ns) first_ns = t;
      }
      rd_kafka_message_destroy(m);
    }
    if (o->count == 0 && eof_count == partitions) break;
    if (t - last_ns > idle_ns) break;
    if (o->progress && t >= next_progress_ns) {
      fprintf(stderr, "consume: %lld records\n", records);
      next_progress_ns += 1000000000ull;
    }
  }
  /* seconds and the rates count from the start, before the first fetch; firstRecordNs and
   * lastRecordNs (CLOCK_MONOTONIC, one clock for every process on the machine) let a caller take
   * the span in which records flowed instead, over several consumers too. */
  double seconds = (double)(last_ns - start_ns) / 1e9;
  if (seconds <= 0) seconds = 1e-9;
  thread_cpu_t busiest = busiest_thread(&ticks_at_start, (double)(now_ns() - start_ns) / 1e9);
  printf("{\"mode\":\"consume\",\"topic\":\"%s\",\"partitions\":%d,\"records\":%lld,"
         "\"bytes\":%lld,\"seconds\":%.4f,\"firstRecordMs\":%.2f,\"recordsPerSec\":%.1f,"
         "\"mbPerSec\":%.3f,\"errors\":%lld,\"reachedEnd\":%s,\"busiestThread\":\"%s\","
         "\"busiestThreadShare\":%.3f,\"firstRecordNs\":%llu,\"lastRecordNs\":%llu}\n",
         o->topic, partitions, records, bytes, seconds,
         first_ns ? (double)(first_ns - start_ns) / 1e6 : -1.0, (double)records / seconds,
         (double)bytes / seconds / 1e6, errors, eof_count == partitions ? "true" : "false",
         busiest.name, busiest.share, (unsigned long long)first_ns, (unsigned long long)last_ns);
  for (int p = 0; p < partitions; p++) rd_kafka_consume_stop(rkt, p);
  rd_kafka_queue_destroy(queue);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return errors ? 2 : 0;
}

/* ---- create ----------------------------------------------------------------------------- */

/* CreateTopics through the admin API; a broker without it falls back to auto-creation. */
static int run_create(const options_t *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("cannot create admin client: %s", errstr);
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(o->topic, o->partitions > 0 ? o->partitions : 1, 1,
                                                  errstr, sizeof(errstr));
  if (!nt) die("bad topic: %s", errstr);
  rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, 10000, errstr, sizeof(errstr));
  /* A broker that never answers CreateTopics (librdkafka's mock cluster) must not stall a run. */
  rd_kafka_AdminOptions_set_request_timeout(opts, 5000, errstr, sizeof(errstr));
  rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, queue);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, 20000);
  const char *outcome = "created";
  rd_kafka_resp_err_t err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (!err) {
    size_t cnt = 0;
    const rd_kafka_topic_result_t **results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    err = cnt ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR__FAIL;
  }
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    outcome = "exists";
  } else if (err) {
    fprintf(stderr, "CreateTopics failed (%s); relying on auto-creation\n", rd_kafka_err2str(err));
    outcome = "auto";
  }
  if (ev) rd_kafka_event_destroy(ev);
  int partitions = wait_for_partitions(rk, o->topic, 15000);
  printf("{\"mode\":\"create\",\"topic\":\"%s\",\"partitions\":%d,\"outcome\":\"%s\"}\n", o->topic,
         partitions, outcome);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
  return 0;
}

/* ---- mock ------------------------------------------------------------------------------- */

static rd_kafka_t *mock_host;
static rd_kafka_mock_cluster_t *mock_cluster;

/* Starts a one-broker mock cluster in this process and creates the topic on it. */
static const char *start_mock(const options_t *o) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "log_level", "3"); /* the host handle has no bootstrap servers, on purpose */
  mock_host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!mock_host) die("cannot create the mock cluster's host handle: %s", errstr);
  mock_cluster = rd_kafka_mock_cluster_new(mock_host, 1);
  if (!mock_cluster) die("rd_kafka_mock_cluster_new failed");
  if (o->topic) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mock_cluster, o->topic, o->partitions > 0 ? o->partitions : 1, 1);
    if (err) die("cannot create mock topic: %s", rd_kafka_err2str(err));
  }
  return rd_kafka_mock_cluster_bootstraps(mock_cluster);
}

/* Serves the mock cluster until stdin closes or a signal arrives, so a driver can own its life. */
static int run_mock(void) {
  printf("{\"mode\":\"mock\",\"bootstrapServers\":\"%s\"}\n", rd_kafka_mock_cluster_bootstraps(mock_cluster));
  fflush(stdout);
  char buf[256];
  while (!stop_requested) {
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    int ready = poll(&pfd, 1, 200);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0 && read(0, buf, sizeof(buf)) <= 0) break;
  }
  return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen <produce|consume|latency|wakeup|create|mock|histtest> [options]\n"
          "  -b, --brokers HOST:PORT   bootstrap servers (default 127.0.0.1:9092)\n"
          "  -t, --topic NAME          topic (default sluice-bench)\n"
          "  -p, --partitions N        partitions for create and for --mock topics\n"
          "  -s, --size BYTES          record payload size (default 1024)\n"
          "  -c, --count N             records to produce/consume (0 = unbounded)\n"
          "  -d, --duration-ms MS      produce/latency for this long\n"
          "  -a, --acks 0|1|all        producer acks (default 1)\n"
          "  -z, --compression CODEC   none|lz4|gzip|snappy|zstd (default none)\n"
          "  -l, --linger-ms MS        producer linger.ms\n"
          "      --batch-bytes N       producer batch.size\n"
          "      --batch-records N     producer batch.num.messages\n"
          "  -i, --idle-ms MS          consume: stop after this long without records (default 5000)\n"
          "  -r, --rate N              latency: records per second; wakeup: wake-ups per second\n"
          "                            (default 1000)\n"
          "      --fetch-wait-max-ms N consumer fetch.wait.max.ms (default 100)\n"
          "  -m, --mock                run against an in-process librdkafka mock cluster\n"
          "  -P, --progress            progress on stderr every second\n"
          "  -X key=value              any librdkafka property\n");
  exit(64);
}

static void parse_options(int argc, char **argv, options_t *o) {
  static const char *extra[64];
  static const struct option longs[] = {
      {"brokers", 1, 0, 'b'}, {"topic", 1, 0, 't'},         {"partitions", 1, 0, 'p'},
      {"size", 1, 0, 's'},    {"count", 1, 0, 'c'},         {"duration-ms", 1, 0, 'd'},
      {"acks", 1, 0, 'a'},    {"compression", 1, 0, 'z'},   {"linger-ms", 1, 0, 'l'},
      {"batch-bytes", 1, 0, 1}, {"batch-records", 1, 0, 2}, {"idle-ms", 1, 0, 'i'},
      {"rate", 1, 0, 'r'},    {"fetch-wait-max-ms", 1, 0, 3}, {"mock", 0, 0, 'm'},
      {"progress", 0, 0, 'P'}, {"help", 0, 0, 'h'},         {0, 0, 0, 0}};
  *o = (options_t){.brokers = "127.0.0.1:9092", .topic = "sluice-bench", .record_bytes = 1024,
                   .acks = "1", .compression = "none", .linger_ms = -1, .batch_bytes = -1,
                   .batch_records = -1, .idle_ms = 5000, .rate = 1000, .fetch_wait_max_ms = 100,
                   .extra = extra};
  if (argc < 2 || argv[1][0] == '-') usage();
  o->mode = argv[1];
  optind = 2;
  int c;
  while ((c = getopt_long(argc, argv, "b:t:p:s:c:d:a:z:l:i:r:mPX:h", longs, NULL)) != -1) {
    switch (c) {
    case 'b': o->brokers = optarg; break;
    case 't': o->topic = optarg; break;
    case 'p': o->partitions = atoi(optarg); break;
    case 's': o->record_bytes = atoi(optarg); break;
    case 'c': o->count = atoll(optarg); break;
    case 'd': o->duration_ms = atoll(optarg); break;
    case 'a': o->acks = optarg; break;
    case 'z': o->compression = optarg; break;
    case 'l': o->linger_ms = atoi(optarg); break;
    case 1: o->batch_bytes = atoi(optarg); break;
    case 2: o->batch_records = atoi(optarg); break;
    case 'i': o->idle_ms = atoi(optarg); break;
    case 'r': o->rate = atoi(optarg); break;
    case 3: o->fetch_wait_max_ms = atoi(optarg); break;
    case 'm': o->mock = 1; break;
    case 'P': o->progress = 1; break;
    case 'X':
      if (o->extra_count >= 64) die("at most 64 -X properties");
      extra[o->extra_count++] = optarg;
      break;
    default: usage();
    }
  }
  if (optind != argc) usage();
}

int main(int argc, char **argv) {
  options_t o;
  parse_options(argc, argv, &o);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  if (o.mock || !strcmp(o.mode, "mock")) o.brokers = start_mock(&o);
  int rc;
  if (!strcmp(o.mode, "produce")) rc = run_produce(&o);
  else if (!strcmp(o.mode, "consume")) rc = run_consume(&o);
  else if (!strcmp(o.mode, "latency")) rc = run_latency(&o);
  else if (!strcmp(o.mode, "wakeup")) rc = run_wakeup(&o);
  else if (!strcmp(o.mode, "create")) rc = run_create(&o);
  else if (!strcmp(o.mode, "mock")) rc = run_mock();
  else if (!strcmp(o.mode, "histtest")) rc = run_hist_selftest();
  else usage();
  fflush(stdout);
  if (mock_cluster) rd_kafka_mock_cluster_destroy(mock_cluster);
  if (mock_host) rd_kafka_destroy(mock_host);
  return rc;
}
