#!/bin/sh
# Tests scripts/check-banned.sh on a throwaway tree: every banned name is
# found with its file and line; look-alikes (snprintf, gmtime_r, strerror_r,
# adsync_strerror, fgets, VERIFYPEER 1L) and comment lines are not.
# Usage: test_cli_banned.sh PATH/TO/check-banned.sh
set -u
script=$1
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

mkdir -p "$T/bad/sub" "$T/good"
cat >"$T/bad/sub/b.c" <<'C'
int a = atoi(s);
long b = atol (s);
strcpy(d, s);
strcat(d, s);
sprintf(d, "%d", 1);
vsprintf(d, f, ap);
gets(d);
p = strtok(s, ",");
system("ls");
f = popen("ls", "r");
x = rand();
p = alloca(10);
puts(strerror(errno));
tm = localtime(&t);
tm = gmtime(&t);
s = ctime(&t);
s = asctime(tm);
pw = getpwnam("root");
gr = getgrnam("root");
sqlite3_exec(db, sql, 0, 0, 0);
curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0);
curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST,(long)0);
int v = LDAP_OPT_X_TLS_NEVER;
ldap_set_option(l, LDAP_OPT_X_TLS_REQUIRE_CERT, &(int){LDAP_OPT_X_TLS_ALLOW});
	*p = atoi(s);
C
cat >"$T/bad/sub/not-c.txt" <<'C'
strcpy(d, s);
C
cat >"$T/good/g.c" <<'C'
/* never call strcpy() or atoi() here */
// nor sprintf(
 * gmtime() is not reentrant
snprintf(d, n, "%d", 1);
vsnprintf(d, n, f, ap);
gmtime_r(&t, &tm);
localtime_r(&t, &tm);
strerror_r(e, b, n);
adsync_strerror(r);
strerrordesc_np(e);
fgets(b, n, fp);
strtok_r(s, ",", &save);
srand48(1);
my_system(x);
getpwnam_r(n, &pw, b, l, &r);
curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
int v = LDAP_OPT_X_TLS_HARD;
int w = LDAP_OPT_X_TLS_NEVERMORE;
sqlite3_exec_prepared(x);
C

out=$(sh "$script" "$T/bad" 2>/dev/null)
rc=$?
[ $rc -eq 1 ] && ok || bad "bad tree: exit $rc, wanted 1"
n=$(printf '%s\n' "$out" | grep -c ': banned ')
[ "$n" -eq 26 ] && ok || bad "bad tree: $n hits, wanted 26:
$out"
i=1
for name in atoi atol strcpy strcat sprintf vsprintf gets strtok system \
    popen rand alloca strerror localtime gmtime ctime asctime getpwnam \
    getgrnam sqlite3_exec; do
	printf '%s\n' "$out" | grep -q "^$T/bad/sub/b.c:$i: banned $name: " &&
	    ok || bad "no hit for $name on line $i"
	i=$((i + 1))
done
for i in 21 22 23 24 25; do
	printf '%s\n' "$out" | grep -q "b.c:$i: banned TLS verification off" &&
	    ok || bad "no TLS hit on line $i"
done
printf '%s\n' "$out" | grep -q "b.c:26: banned atoi: \*p = atoi(s);" &&
    ok || bad "a dereference at the start of a line is not a comment"
printf '%s\n' "$out" | grep -q 'not-c.txt' && bad "non-C file checked" || ok

out=$(sh "$script" "$T/good" 2>&1)
rc=$?
[ $rc -eq 0 ] && ok || bad "good tree: exit $rc:
$out"

sh "$script" "$T/none" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok || bad "missing directory: exit $rc, wanted 2"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
