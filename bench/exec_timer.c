/*
 * Exec timer for bench/: runs programs the way a container runtime runs a CNI plugin (exec, the config
 * on a stdin pipe, output captured) and reports, per child, the time from spawn to reaping and what the
 * kernel's wait4() says about it: peak RSS (ru_maxrss) and CPU time. bench/exec_timer.ts builds it
 * (gcc -static) and drives it.
 *
 * Why C and not Deno or a script: Deno cannot reap its own children, and a child's ru_maxrss is never
 * below the RSS of the process that spawned it (the kernel carries the old image's high-water mark over
 * exec), so the spawner must be tiny for the figure to be the plugin's own.
 *
 * Protocol on stdin/stdout, native-endian, until end of input:
 *   request: u32 mode (0 = sequence, 1 = parallel), u32 jobs; per job u32 argc, u32 envc, u32 stdin
 *            length, u32 strings length, the argc + envc NUL-terminated strings, the stdin bytes.
 *   reply:   i64 wall ns, i64 runs; per run i64 ns, exit code (128 + signal), maxrss KiB, user µs,
 *            system µs, stdout length, stderr length, then the stdout and stderr bytes.
 * "sequence" runs the jobs one after another and stops after the first that fails (a shell `&&` chain);
 * "parallel" starts them all, then reaps them as they finish. stdout and stderr go to memory files, so
 * a chatty child never blocks on a full pipe while we wait for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MODE_SEQUENCE = 0, MODE_PARALLEL = 1 };
#define MAX_JOBS 1024
#define MAX_STRINGS 4096
#define MAX_STRING_BYTES (1 << 20)
/* The config is written into the pipe before we wait, so it must fit the pipe buffer (64 KiB). */
#define MAX_STDIN 60000
#define MAX_OUTPUT (1 << 20)
/* A child not reaped this long after its batch started is killed (and reported with code 137). */
#define TIMEOUT_S 60

struct job {
  char *strings;
  char **argv;
  char **envp;
  char *input;
  uint32_t input_len;
};

struct run {
  pid_t pid;
  bool reaped;
  int64_t started_ns;
  int64_t ended_ns;
  int status;
  struct rusage usage;
  int out; /* memfd holding the child's stdout */
  int err; /* memfd holding its stderr */
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int signal_number) {
  (void)signal_number;
  timed_out = 1;
}

static void fail(const char *what) {
  fprintf(stderr, "exec_timer: %s: %s\n", what, errno ? strerror(errno) : "bad request");
  exit(2);
}

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Reads exactly `size` bytes; false only at a clean end of input before the first byte. */
static bool read_exact(void *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = read(STDIN_FILENO, (char *)buffer + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("reading the request");
    if (got == 0 && done == 0) return false;
    if (got == 0) fail("request cut short");
    done += (size_t)got;
  }
  return true;
}

static void must_read(void *buffer, size_t size) {
  if (!read_exact(buffer, size)) fail("request cut short");
}

/* Splits `count` NUL-terminated strings off `*cursor` into a NULL-terminated array. */
static char **take_strings(char **cursor, const char *end, uint32_t count) {
  char **list = calloc(count + 1, sizeof *list);
  if (list == NULL) fail("allocating the argument list");
  for (uint32_t i = 0; i < count; i++) {
    size_t length = strnlen(*cursor, (size_t)(end - *cursor));
    if (*cursor + length >= end) fail("strings of a job do not match argc + envc");
    list[i] = *cursor;
    *cursor += length + 1;
  }
  return list;
}

static void read_job(struct job *job) {
  uint32_t head[4]; /* argc, envc, stdin length, strings length */
  must_read(head, sizeof head);
  errno = 0;
  if (head[0] < 1 || head[0] + head[1] > MAX_STRINGS) fail("argc must be 1 or more, argc + envc at most 4096");
  if (head[2] > MAX_STDIN) fail("stdin longer than 60000 bytes");
  if (head[3] > MAX_STRING_BYTES) fail("strings longer than 1 MiB");
  job->strings = malloc(head[3] + 1u);
  job->input = malloc(head[2] + 1u);
  if (job->strings == NULL || job->input == NULL) fail("allocating a job");
  must_read(job->strings, head[3]);
  job->strings[head[3]] = '\0';
  char *cursor = job->strings;
  const char *end = job->strings + head[3];
  job->argv = take_strings(&cursor, end, head[0]);
  job->envp = take_strings(&cursor, end, head[1]);
  if (cursor != end) fail("strings of a job do not match argc + envc");
  must_read(job->input, head[2]);
  job->input_len = head[2];
}

static void free_job(struct job *job) {
  free(job->strings);
  free(job->argv);
  free(job->envp);
  free(job->input);
}

/* The child gets a default SIGPIPE (we ignore it, and an ignored signal survives exec). */
static void spawn_attributes(posix_spawnattr_t *attributes) {
  sigset_t defaults;
  sigset_t none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&none);
  posix_spawnattr_init(attributes);
  posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(attributes, &defaults);
  posix_spawnattr_setsigmask(attributes, &none);
}

static void write_input(int fd, const struct job *job) {
  size_t done = 0;
  while (done < job->input_len) {
    ssize_t put = write(fd, job->input + done, job->input_len - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) break; /* EPIPE: the child exited without reading its stdin (VERSION may) */
    done += (size_t)put;
  }
  close(fd);
}

static void spawn(const struct job *job, struct run *run, const posix_spawnattr_t *attributes) {
  int input[2];
  if (pipe2(input, O_CLOEXEC) < 0) fail("creating a stdin pipe");
  run->out = memfd_create("stdout", MFD_CLOEXEC);
  run->err = memfd_create("stderr", MFD_CLOEXEC);
  if (run->out < 0 || run->err < 0) fail("creating an output memfd");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, run->out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, run->err, STDERR_FILENO);
  run->started_ns = now_ns();
  int error = posix_spawn(&run->pid, job->argv[0], &actions, attributes, job->argv, job->envp);
  posix_spawn_file_actions_destroy(&actions);
  close(input[0]);
  if (error != 0) {
    dprintf(run->err, "exec_timer: cannot run %s: %s\n", job->argv[0], strerror(error));
    close(input[1]);
    run->reaped = true;
    run->status = 127 << 8;
    run->ended_ns = now_ns();
    return;
  }
  write_input(input[1], job);
}

static struct run *find_run(struct run *runs, uint32_t count, pid_t pid) {
  for (uint32_t i = 0; i < count; i++) {
    if (!runs[i].reaped && runs[i].pid == pid) return &runs[i];
  }
  return NULL;
}

static void kill_unreaped(struct run *runs, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    if (!runs[i].reaped) kill(runs[i].pid, SIGKILL);
  }
}

/* wait4() for every run not yet reaped, in the order they finish. */
static void reap_all(struct run *runs, uint32_t count) {
  uint32_t left = 0;
  for (uint32_t i = 0; i < count; i++) left += runs[i].reaped ? 0 : 1;
  timed_out = 0;
  alarm(TIMEOUT_S);
  while (left > 0) {
    int status = 0;
    struct rusage usage;
    pid_t pid = wait4(-1, &status, 0, &usage);
    int64_t ended = now_ns();
    if (pid < 0 && errno == EINTR) {
      if (timed_out) kill_unreaped(runs, count);
      continue;
    }
    if (pid < 0) fail("waiting for a child");
    struct run *run = find_run(runs, count, pid);
    if (run == NULL) continue;
    *run = (struct run){.pid = pid, .reaped = true, .started_ns = run->started_ns, .ended_ns = ended,
                        .status = status, .usage = usage, .out = run->out, .err = run->err};
    left--;
  }
  alarm(0);
}

static void put_i64(int64_t value) {
  if (fwrite(&value, sizeof value, 1, stdout) != 1) fail("writing the reply");
}

static int64_t micros(struct timeval time) {
  return (int64_t)time.tv_sec * 1000000 + time.tv_usec;
}

/* Length (capped at MAX_OUTPUT) of a memfd, rewound for reading. */
static int64_t output_length(int fd) {
  off_t length = lseek(fd, 0, SEEK_END);
  lseek(fd, 0, SEEK_SET);
  return length > MAX_OUTPUT ? MAX_OUTPUT : (int64_t)length;
}

static void put_output(int fd, int64_t length) {
  char buffer[65536];
  while (length > 0) {
    ssize_t got = read(fd, buffer, length < (int64_t)sizeof buffer ? (size_t)length : sizeof buffer);
    if (got <= 0) fail("reading a child's output");
    if (fwrite(buffer, 1, (size_t)got, stdout) != (size_t)got) fail("writing the reply");
    length -= got;
  }
  close(fd);
}

static int exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static void put_run(const struct run *run) {
  int64_t out_length = output_length(run->out);
  int64_t err_length = output_length(run->err);
  put_i64(run->ended_ns - run->started_ns);
  put_i64(exit_code(run->status));
  put_i64(run->usage.ru_maxrss);
  put_i64(micros(run->usage.ru_utime));
  put_i64(micros(run->usage.ru_stime));
  put_i64(out_length);
  put_i64(err_length);
  put_output(run->out, out_length);
  put_output(run->err, err_length);
}

/* Runs one request's jobs; returns how many ran (a sequence stops after its first failure). */
static uint32_t run_jobs(uint32_t mode, const struct job *jobs, struct run *runs, uint32_t count) {
  posix_spawnattr_t attributes;
  spawn_attributes(&attributes);
  uint32_t ran = 0;
  if (mode == MODE_PARALLEL) {
    for (; ran < count; ran++) spawn(&jobs[ran], &runs[ran], &attributes);
    reap_all(runs, count);
  } else {
    while (ran < count) {
      spawn(&jobs[ran], &runs[ran], &attributes);
      reap_all(&runs[ran], 1);
      if (exit_code(runs[ran++].status) != 0) break;
    }
  }
  posix_spawnattr_destroy(&attributes);
  return ran;
}

/* One request → one reply; false at the end of input. */
static bool serve_one(void) {
  uint32_t head[2]; /* mode, jobs */
  if (!read_exact(head, sizeof head)) return false;
  errno = 0;
  if (head[0] != MODE_SEQUENCE && head[0] != MODE_PARALLEL) fail("mode must be 0 (sequence) or 1 (parallel)");
  if (head[1] < 1 || head[1] > MAX_JOBS) fail("a request holds 1 to 1024 jobs");
  struct job *jobs = calloc(head[1], sizeof *jobs);
  struct run *runs = calloc(head[1], sizeof *runs);
  if (jobs == NULL || runs == NULL) fail("allocating a request");
  for (uint32_t i = 0; i < head[1]; i++) read_job(&jobs[i]);
  int64_t started = now_ns();
  uint32_t ran = run_jobs(head[0], jobs, runs, head[1]);
  put_i64(now_ns() - started);
  put_i64(ran);
  for (uint32_t i = 0; i < ran; i++) put_run(&runs[i]);
  if (fflush(stdout) != 0) fail("writing the reply");
  for (uint32_t i = 0; i < head[1]; i++) free_job(&jobs[i]);
  free(jobs);
  free(runs);
  return true;
}

int main(void) {
  struct sigaction alarm_action = {.sa_handler = on_alarm}; /* no SA_RESTART: wait4 must return EINTR */
  sigaction(SIGALRM, &alarm_action, NULL);
  signal(SIGPIPE, SIG_IGN);
  while (serve_one()) {
  }
  return 0;
}
