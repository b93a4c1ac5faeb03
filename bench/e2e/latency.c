/*
 * loadgen's latency mode: end-to-end latency from the produce call to the consumer's receipt.
 *
 * A producer on the main thread sends records at a fixed rate R; a consumer in the same process,
 * on its own thread, reads them back. Record i is *meant* to be sent at start + i/R, and that
 * intended time is written into its payload; latency is receipt time minus intended time. So when
 * the broker stalls and the producer falls behind, the records that wait count their waiting, and
 * the figures have no coordinated omission (Gil Tene's term; HdrHistogram's
 * recordValueWithExpectedInterval answers the same problem after the fact). Both ends read the
 * same CLOCK_MONOTONIC, so no clock synchronisation is involved.
 *
 * The clock starts only once a probe record has made the whole trip (producer, broker, consumer):
 * a fixed grace period let a slow first connection or first fetch of a new broker count against
 * the broker's first records (a 1k records/s row once read p99 330 ms from ~0.4 s of start-up).
 */
#define _GNU_SOURCE
#include "hist.h"
#include "loadgen.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

enum { HEADER_BYTES = 20, PARTITIONS_MAX = 1024 };
static const uint32_t PAYLOAD_MAGIC = 0x534c4c54; /* "SLLT" */
static const uint32_t PROBE_MAGIC = 0x534c4c50;   /* "SLLP": sent before the clock starts */

typedef struct {
  rd_kafka_t *rk;
  rd_kafka_queue_t *queue;
  long long expected;
  unsigned char *seen; /* one bit per sequence number, to tell duplicates from new receipts */
  hist_t hist;
  long long received, duplicates, foreign, errors;
  int probe_seen; /* a probe record arrived: the whole path is up */
  volatile int stop;
} consumer_state_t;

/* Receives one message per call: rd_kafka_consume_batch_queue() waits for a full batch or its
 * timeout, which would add its own delay to every latency measured. */
static void *consume_loop(void *arg) {
  consumer_state_t *s = arg;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    rd_kafka_message_t *m = rd_kafka_consume_queue(s->queue, 50);
    if (!m) continue;
    uint64_t t = now_ns();
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && s->errors++ == 0)
        fprintf(stderr, "latency consumer error: %s\n", rd_kafka_message_errstr(m));
    } else if (m->len >= 4 && !memcmp(m->payload, &PROBE_MAGIC, 4)) {
      __atomic_store_n(&s->probe_seen, 1, __ATOMIC_RELEASE);
    } else if (m->len < HEADER_BYTES || memcmp(m->payload, &PAYLOAD_MAGIC, 4)) {
      s->foreign++;
    } else {
      uint64_t seq, intended_ns;
      memcpy(&seq, (char *)m->payload + 4, 8);
      memcpy(&intended_ns, (char *)m->payload + 12, 8);
      if (seq >= (uint64_t)s->expected || (s->seen[seq / 8] & (1u << (seq % 8)))) {
        s->duplicates++;
      } else {
        s->seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
        hist_record(&s->hist, t > intended_ns ? t - intended_ns : 0);
        __atomic_store_n(&s->received, s->received + 1, __ATOMIC_RELEASE);
      }
    }
    rd_kafka_message_destroy(m);
  }
  return NULL;
}

/* Starts the consumer at each partition's high watermark, so it sees exactly this run's records. */
static rd_kafka_t *start_consumer(const options_t *o, rd_kafka_queue_t **queue_out, int *partitions_out) {
  rd_kafka_conf_t *conf = base_conf(o);
  char text[32], errstr[512];
  snprintf(text, sizeof(text), "%d", o->fetch_wait_max_ms);
  conf_set(conf, "fetch.wait.max.ms", text);
  conf_set(conf, "fetch.error.backoff.ms", "10");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) die("cannot create consumer: %s", errstr);
  int partitions = wait_for_partitions(rk, o->topic, 15000);
  if (partitions > PARTITIONS_MAX) die("at most %d partitions", PARTITIONS_MAX);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
  for (int p = 0; p < partitions; p++) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, o->topic, p, &low, &high, 10000);
    if (err) die("cannot read the high watermark of partition %d: %s", p, rd_kafka_err2str(err));
    if (rd_kafka_consume_start_queue(rkt, p, high, queue))
      die("cannot start partition %d: %s", p, rd_kafka_err2str(rd_kafka_last_error()));
  }
  rd_kafka_topic_destroy(rkt);
  *queue_out = queue;
  *partitions_out = partitions;
  return rk;
}

static rd_kafka_t *start_producer(const options_t *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  char text[32], errstr[512];
  conf_set(conf, "acks", o->acks);
  conf_set(conf, "compression.codec", o->compression);
  /* librdkafka lingers 5 ms by default; a latency run wants each record sent at once. */
  snprintf(text, sizeof(text), "%d", o->linger_ms >= 0 ? o->linger_ms : 0);
  conf_set(conf, "linger.ms", text);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("cannot create producer: %s", errstr);
  return rk;
}

/* Sends a probe record to every partition every 100 ms until the consumer has received one;
 * returns the nanoseconds that took. Gives up after 15 s. */
static uint64_t wait_for_round_trip(rd_kafka_t *rk, int partitions, consumer_state_t *s,
                                    const char *topic) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  uint64_t start = now_ns(), next_probe = start;
  while (!__atomic_load_n(&s->probe_seen, __ATOMIC_ACQUIRE) && !stop_requested) {
    uint64_t t = now_ns();
    if (t - start > 15000000000ull) die("no probe record came back through %s within 15 s", topic);
    if (t >= next_probe) {
      for (int p = 0; p < partitions; p++)
        rd_kafka_produce(rkt, p, RD_KAFKA_MSG_F_COPY, (void *)&PROBE_MAGIC, 4, NULL, 0, NULL);
      next_probe = t + 100000000ull;
    }
    rd_kafka_poll(rk, 1);
  }
  rd_kafka_topic_destroy(rkt);
  return now_ns() - start;
}

/* Sends `total` records on schedule; returns how many were handed to librdkafka. */
static long long produce_on_schedule(const options_t *o, rd_kafka_t *rk, int partitions,
                                     long long total, uint64_t start_ns, hist_t *lag) {
  static char payload[1 << 20];
  fill_payload_pool(payload, sizeof(payload));
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  uint64_t next_progress_ns = start_ns + 1000000000ull;
  long long i = 0;
  for (; i < total && !stop_requested; i++) {
    uint64_t intended_ns = start_ns + (uint64_t)((double)i * 1e9 / o->rate);
    uint64_t t = now_ns();
    if (t < intended_ns) sleep_until(intended_ns), t = now_ns();
    /* The client's own lateness: the machine's floor under every latency measured here. */
    hist_record(lag, t - intended_ns);
    uint64_t seq = (uint64_t)i;
    memcpy(payload, &PAYLOAD_MAGIC, 4);
    memcpy(payload + 4, &seq, 8);
    memcpy(payload + 12, &intended_ns, 8);
    while (rd_kafka_produce(rkt, (int32_t)(i % partitions), RD_KAFKA_MSG_F_COPY, payload,
                            (size_t)o->record_bytes, NULL, 0, NULL)) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        die("produce failed: %s", rd_kafka_err2str(rd_kafka_last_error()));
      rd_kafka_poll(rk, 1);
    }
    rd_kafka_poll(rk, 0);
    if (o->progress && t >= next_progress_ns) {
      fprintf(stderr, "latency: %lld of %lld sent\n", i, total);
      next_progress_ns += 1000000000ull;
    }
  }
  rd_kafka_topic_destroy(rkt);
  return i;
}

static void print_report(const options_t *o, consumer_state_t *s, uint64_t ready_ns, long long sent,
                         double seconds, const hist_t *lag) {
  const hist_t *h = &s->hist;
  printf("{\"mode\":\"latency\",\"topic\":\"%s\",\"rate\":%d,\"recordBytes\":%d,\"acks\":\"%s\","
         "\"readyUs\":%.1f,\"sent\":%lld,\"received\":%lld,\"lost\":%lld,\"duplicates\":%lld,\"errors\":%lld,"
         "\"achievedRate\":%.1f,\"sendLagP99Us\":%.1f,\"sendLagP999Us\":%.1f,"
         "\"sendLagMaxUs\":%.1f,\"minUs\":%.1f,\"meanUs\":%.1f,"
         "\"p50Us\":%.1f,\"p90Us\":%.1f,\"p99Us\":%.1f,\"p999Us\":%.1f,\"maxUs\":%.1f}\n",
         o->topic, o->rate, o->record_bytes, o->acks, ready_ns / 1e3, sent, s->received, sent - s->received,
         s->duplicates, s->errors, (double)sent / seconds, hist_percentile(lag, 99) / 1e3,
         hist_percentile(lag, 99.9) / 1e3, (double)lag->max_ns / 1e3,
         h->total ? (double)h->min_ns / 1e3 : 0.0, h->total ? h->sum_ns / (double)h->total / 1e3 : 0.0,
         hist_percentile(h, 50) / 1e3, hist_percentile(h, 90) / 1e3, hist_percentile(h, 99) / 1e3,
         hist_percentile(h, 99.9) / 1e3, (double)h->max_ns / 1e3);
}

int run_latency(const options_t *o) {
  if (o->rate <= 0) die("--rate must be positive");
  if (o->record_bytes < HEADER_BYTES || o->record_bytes > (1 << 20))
    die("--size must be %d..1048576 bytes for latency", HEADER_BYTES);
  long long total = o->count ? o->count : (long long)o->rate * (o->duration_ms ? o->duration_ms : 10000) / 1000;
  if (total <= 0 || total > (1ll << 32)) die("a latency run needs 1..2^32 records, got %lld", total);
  /* Sleeping to the microsecond needs a timer slack below Linux's default 50 us. */
  prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);

  static consumer_state_t s;
  hist_init(&s.hist);
  s.expected = total;
  s.seen = calloc((size_t)total / 8 + 1, 1);
  if (!s.seen) die("out of memory for %lld sequence bits", total);
  int partitions = 0;
  s.rk = start_consumer(o, &s.queue, &partitions);
  rd_kafka_t *producer = start_producer(o);
  wait_for_partitions(producer, o->topic, 15000);
  pthread_t thread;
  if (pthread_create(&thread, NULL, consume_loop, &s)) die("cannot start the consumer thread");

  uint64_t ready_ns = wait_for_round_trip(producer, partitions, &s, o->topic);
  /* 100 ms for the consumer's next fetch to be parked on the broker before the clock starts. */
  uint64_t start_ns = now_ns() + 100000000ull;
  static hist_t lag;
  hist_init(&lag);
  long long sent = produce_on_schedule(o, producer, partitions, total, start_ns, &lag);
  double seconds = (double)(now_ns() - start_ns) / 1e9;
  rd_kafka_flush(producer, 10000);
  uint64_t drain_deadline_ns = now_ns() + 5000000000ull;
  while (__atomic_load_n(&s.received, __ATOMIC_ACQUIRE) < sent && now_ns() < drain_deadline_ns &&
         !stop_requested)
    sleep_until(now_ns() + 1000000ull);
  __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
  pthread_join(thread, NULL);
  print_report(o, &s, ready_ns, sent, seconds, &lag);

  rd_kafka_destroy(producer);
  rd_kafka_queue_destroy(s.queue);
  rd_kafka_destroy(s.rk);
  free(s.seen);
  return s.received == sent ? 0 : 2;
}

/* Records 1..1,000,000 ns once each and prints percentiles, so a test can check the histogram's
 * precision against values known exactly (p50 = 500,000 ns, and so on). */
int run_hist_selftest(void) {
  static hist_t h;
  hist_init(&h);
  for (uint64_t v = 1; v <= 1000000; v++) hist_record(&h, v);
  printf("{\"mode\":\"histtest\",\"count\":%llu,\"min\":%llu,\"p50\":%llu,\"p99\":%llu,"
         "\"p999\":%llu,\"max\":%llu,\"mean\":%.1f}\n",
         (unsigned long long)h.total, (unsigned long long)h.min_ns,
         (unsigned long long)hist_percentile(&h, 50), (unsigned long long)hist_percentile(&h, 99),
         (unsigned long long)hist_percentile(&h, 99.9), (unsigned long long)h.max_ns,
         h.sum_ns / (double)h.total);
  return 0;
}
