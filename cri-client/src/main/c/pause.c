/*
 * Skiff's pause program: PID 1 of every pod sandbox.
 *
 * It holds the pod's namespaces open, reaps the zombies that processes in a
 * shared PID namespace leave behind, and exits 0 on SIGINT or SIGTERM. It
 * never polls: it sleeps in pause(2) and lets signals wake it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "skiff-pause 1"

static void on_terminate(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap_children(int sig)
{
	(void)sig;
	int saved = errno;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int install(int sig, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = sig == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		puts(VERSION);
		return 0;
	}
	if (getpid() != 1)
		fprintf(stderr, "pause: warning: not running as PID 1, zombies of others will not be reaped\n");

	if (install(SIGINT, on_terminate) < 0 || install(SIGTERM, on_terminate) < 0 ||
	    install(SIGCHLD, reap_children) < 0) {
		perror("pause: sigaction");
		return 1;
	}
	for (;;)
		pause();
	/* not reached */
	return 42;
}
