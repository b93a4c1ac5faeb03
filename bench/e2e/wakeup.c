/*
 * loadgen's wakeup mode: how promptly this machine runs a thread that has something to do, with
 * no broker and no Kafka client involved. It is the floor under every end-to-end latency measured
 * here, since a record's path from the producer to the consumer wakes a sleeping thread several
 * times (the client's sender, the broker, the consumer's fetcher, the application).
 *
 * Two figures, each over `--rate` events per second for `--duration-ms`:
 * - timer: a thread sleeps until an absolute time (clock_nanosleep, TIMER_ABSTIME, 1 us timer
 *   slack, as the latency mode's producer does) and records how late it woke;
 * - ping-pong: one thread writes a byte into a pipe, a second thread blocked in read() wakes and
 *   writes it back; the first records the round trip (two wake-ups of a sleeping thread).
 * On an idle bare-metal machine both are tens of microseconds; a VM whose idle vCPUs halt pays the
 * hypervisor's wake-up path as well.
 */
#define _GNU_SOURCE
#include "hist.h"
#include "loadgen.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

typedef struct {
  int in, out;
} echo_pipes_t;

/* Echoes every byte back until its pipe closes. */
static void *echo_loop(void *arg) {
  echo_pipes_t *p = arg;
  char byte;
  while (read(p->in, &byte, 1) == 1)
    if (write(p->out, &byte, 1) != 1) break;
  return NULL;
}

static void print_percentiles(const char *name, const hist_t *h, int last) {
  printf("\"%sP50Us\":%.1f,\"%sP99Us\":%.1f,\"%sP999Us\":%.1f,\"%sMaxUs\":%.1f%s", name,
         hist_percentile(h, 50) / 1e3, name, hist_percentile(h, 99) / 1e3, name,
         hist_percentile(h, 99.9) / 1e3, name, (double)h->max_ns / 1e3, last ? "" : ",");
}

int run_wakeup(const options_t *o) {
  if (o->rate <= 0 || o->rate > 100000) die("--rate must be 1..100000 for wakeup");
  long long events = (long long)o->rate * (o->duration_ms ? o->duration_ms : 5000) / 1000;
  if (events <= 0) die("a wakeup run needs at least one event");
  prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
  uint64_t interval_ns = 1000000000ull / (uint64_t)o->rate;

  static hist_t timer, ping_pong;
  hist_init(&timer);
  hist_init(&ping_pong);
  uint64_t next_ns = now_ns() + interval_ns;
  for (long long i = 0; i < events && !stop_requested; i++, next_ns += interval_ns) {
    sleep_until(next_ns);
    uint64_t t = now_ns();
    hist_record(&timer, t > next_ns ? t - next_ns : 0);
  }

  int to_echo[2], from_echo[2];
  if (pipe(to_echo) || pipe(from_echo)) die("cannot create pipes");
  echo_pipes_t pipes = {.in = to_echo[0], .out = from_echo[1]};
  pthread_t echo;
  if (pthread_create(&echo, NULL, echo_loop, &pipes)) die("cannot start the echo thread");
  next_ns = now_ns() + interval_ns;
  for (long long i = 0; i < events && !stop_requested; i++, next_ns += interval_ns) {
    sleep_until(next_ns); /* both threads asleep before each round trip, as between records */
    char byte = 'w';
    uint64_t t0 = now_ns();
    if (write(to_echo[1], &byte, 1) != 1 || read(from_echo[0], &byte, 1) != 1)
      die("ping-pong over the pipes failed");
    hist_record(&ping_pong, now_ns() - t0);
  }
  close(to_echo[1]);
  pthread_join(echo, NULL);
  close(to_echo[0]), close(from_echo[0]), close(from_echo[1]);

  printf("{\"mode\":\"wakeup\",\"rate\":%d,\"events\":%lld,", o->rate, events);
  print_percentiles("timerLate", &timer, 0);
  print_percentiles("pingPong", &ping_pong, 1);
  printf("}\n");
  return 0;
}
