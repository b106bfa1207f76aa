/*
 * Test helper: writes a hook file (docs/pwsync.md) from DER files with
 * pw_hookfile_write(), mode 0600, as `adsync hook enroll` will. Single
 * thread; the inputs are the test's own files.
 *
 * usage: pwhook_mkfile OUT DC RECEIVER CA.der CERT.der KEY.der P12
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "pwproto.h"
#include "secret.h"

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *p;
	FILE *fp;
	long n;

	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (p = malloc((size_t)n)) == NULL ||
	    fread(p, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	*len = (size_t)n;
	return p;
}

int
main(int argc, char **argv)
{
	struct pw_hookfile hf;
	unsigned char *k, *p;
	size_t kl, pl;
	struct buf b;
	int fd;

	if (argc != 8) {
		fprintf(stderr, "usage: pwhook_mkfile OUT DC RECEIVER CA.der "
		    "CERT.der KEY.der P12\n");
		return 2;
	}
	memset(&hf, 0, sizeof(hf));
	snprintf(hf.dc, sizeof(hf.dc), "%s", argv[2]);
	hf.receiver = strdup(argv[3]);
	hf.ca_der = slurp(argv[4], &hf.ca_len);
	hf.cert_der = slurp(argv[5], &hf.cert_len);
	k = slurp(argv[6], &kl);
	p = slurp(argv[7], &pl);
	hf.key_der = secret_new(k, kl, "key");
	hf.p12 = secret_new(p, pl, "p12");
	free(k);
	free(p);
	buf_init(&b, PW_HOOKFILE_MAX);
	if (hf.receiver == NULL || hf.key_der == NULL || hf.p12 == NULL ||
	    pw_hookfile_write(&hf, &b) != 0) {
		fprintf(stderr, "pw_hookfile_write failed\n");
		return 1;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len ||
	    close(fd) != 0) {
		perror(argv[1]);
		return 1;
	}
	buf_fini(&b);
	pw_hookfile_fini(&hf);
	return 0;
}
