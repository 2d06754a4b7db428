/*
 * Runs a program to its end with a deadline: its stdin filled from a buffer and its stdout captured,
 * both through pipes, in a process group of its own so a timeout reaches its children too.
 *
 * At the deadline the group gets SIGTERM, and SIGKILL once the program has gone or a second has
 * passed (children that ignore TERM go with the KILL). The program is reaped last, so its pid, and so
 * the group id, cannot be reused while the host still signals it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_process.h"

/* How long a program may take to end after SIGTERM before its group gets SIGKILL. */
#define TERM_GRACE_MS 1000
/* Without a pidfd (kernels before 5.3) the host looks for the program's exit this often. */
#define EXIT_CHECK_MS 20

/* True once the program has ended; it stays unreaped (a zombie keeps its group id reserved). */
static bool has_ended(pid_t pid) {
  siginfo_t info = {0};
  return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

static int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static void sleep_ms(int ms) {
  struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000};
  nanosleep(&pause, NULL);
}

/* TERM to the group, a grace period for the program to go, then KILL to the whole group, then reap. */
static void end_group(pid_t pid, int grace_ms) {
  kill(-pid, SIGTERM);
  for (int waited = 0; waited < grace_ms && !has_ended(pid); waited += EXIT_CHECK_MS) sleep_ms(EXIT_CHECK_MS);
  kill(-pid, SIGKILL);
  reap(pid);
}

struct pipes {
  int input;  /* write end of the program's stdin, -1 once closed */
  int output; /* read end of its stdout, -1 at end of file */
  size_t written;
};

/* Writes what the pipe takes now; closes it when all is written or the program stopped reading. */
static void feed(struct child_run *run, struct pipes *pipes) {
  while (pipes->input >= 0 && pipes->written < run->input_len) {
    ssize_t n = write(pipes->input, run->input + pipes->written, run->input_len - pipes->written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) break; /* EPIPE: it does not want the rest */
    pipes->written += (size_t)n;
  }
  if (pipes->input >= 0) close(pipes->input);
  pipes->input = -1;
}

/* Reads what is there now; false when the output passed its limit. */
static bool drain(struct child_run *run, struct pipes *pipes) {
  uint8_t chunk[65536];
  while (pipes->output >= 0) {
    ssize_t n = read(pipes->output, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) {
      close(pipes->output);
      pipes->output = -1;
      return true;
    }
    if (!bytes_append(run->output, chunk, (size_t)n, run->output_limit)) return false;
  }
  return true;
}

/* One poll over the pipes and the pidfd, at most until the deadline. */
static void wait_for_io(struct pipes *pipes, int pidfd, int64_t deadline) {
  struct pollfd fds[3];
  nfds_t n = 0;
  if (pipes->input >= 0) fds[n++] = (struct pollfd){.fd = pipes->input, .events = POLLOUT};
  if (pipes->output >= 0) fds[n++] = (struct pollfd){.fd = pipes->output, .events = POLLIN};
  if (pidfd >= 0) fds[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
  int wait = remaining_ms(deadline);
  if (pidfd < 0 && (wait < 0 || wait > EXIT_CHECK_MS)) wait = EXIT_CHECK_MS;
  poll(fds, n, wait);
}

static int supervise(struct child_run *run, pid_t pid, struct pipes *pipes) {
  int64_t deadline = deadline_after(run->timeout_ms);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int result = 0;
  for (;;) {
    feed(run, pipes);
    if (!drain(run, pipes)) {
      result = -EMSGSIZE;
      end_group(pid, 0);
      break;
    }
    if (has_ended(pid)) {
      result = drain(run, pipes) ? 0 : -EMSGSIZE;
      run->status = reap(pid);
      break;
    }
    if (remaining_ms(deadline) == 0) {
      result = -ETIMEDOUT;
      end_group(pid, TERM_GRACE_MS);
      break;
    }
    wait_for_io(pipes, pidfd, deadline);
  }
  if (pidfd >= 0) close(pidfd);
  return result;
}

/* posix_spawn with stdin/stdout on the pipes, a new process group, and every signal back to default. */
static int spawn(struct child_run *run, int stdin_end, int stdout_end, pid_t *pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_end, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_end, 1);
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  int rc = posix_spawn(pid, run->program, &actions, &attributes, run->argv, run->envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return -rc;
}

int run_child(struct child_run *run) {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return -errno;
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    int error = errno;
    close(to_child[0]);
    close(to_child[1]);
    return -error;
  }
  pid_t pid;
  int spawned = spawn(run, to_child[0], from_child[1], &pid);
  close(to_child[0]);
  close(from_child[1]);
  struct pipes pipes = {.input = to_child[1], .output = from_child[0], .written = 0};
  if (spawned < 0) {
    close(pipes.input);
    close(pipes.output);
    return spawned;
  }
  fcntl(pipes.input, F_SETFL, O_NONBLOCK);
  fcntl(pipes.output, F_SETFL, O_NONBLOCK);
  int result = supervise(run, pid, &pipes);
  if (pipes.input >= 0) close(pipes.input);
  if (pipes.output >= 0) close(pipes.output);
  return result;
}
