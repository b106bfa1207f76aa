/*
 * Replays a fuzz corpus through a harness: every regular file in the given
 * directories (or the given files) is passed to LLVMFuzzerTestOneInput once.
 * Linked instead of libFuzzer in ordinary builds, so CI runs the corpora
 * under gcc and the sanitizers of the build. An empty corpus is a failure:
 * a replay that tests nothing must not pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (4 * 1024 * 1024)

static int
replay_file(const char *path)
{
	FILE *fp;
	uint8_t *data;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if ((data = malloc(REPLAY_MAX)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, REPLAY_MAX, fp);
	fclose(fp);
	/* Copy into an exact-size buffer so ASan sees overreads. */
	{
		uint8_t *exact = malloc(n ? n : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		memcpy(exact, data, n);
		free(data);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat st;
	struct dirent *de;
	char path[4096];
	unsigned long count = 0;
	DIR *d;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) < 0)
				return 1;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (replay_file(path) < 0) {
				closedir(d);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	printf("replayed %lu inputs\n", count);
	return count > 0 ? 0 : 1;
}
