/* The floor: posix_spawn + waitpid(pid) of /bin/true in a tight C loop. Prints the elapsed seconds. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 1000;
    char *child_argv[] = { "/bin/true", NULL };
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < iterations; i++) {
        pid_t pid;
        int status;
        int error = posix_spawn(&pid, child_argv[0], NULL, NULL, child_argv, environ);
        if (error != 0) {
            fprintf(stderr, "posix_spawn: %d\n", error);
            return 1;
        }
        while (waitpid(pid, &status, 0) < 0) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "unexpected status %d\n", status);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.6f\n", (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
