/* toy-checkpassword.c: a checkpassword for tests only (never install it).

   toy-checkpassword PROG [ARGS...]

   Speaks the checkpassword protocol: reads "user\0password\0timestamp\0"
   (at most 512 bytes) from fd 3. Users are built in, or read from the file
   $TOY_USERS ("user:password[:NAME=VALUE]" lines; NAME=VALUE is put into
   the environment on success, the way vchkpw sets NORELAY for a user whose
   relaying is switched off). Built in:
     joe:right         a normal user
     norelay:right     sets NORELAY=1
     tempfail:any      answers 111, like a checkpassword whose database is down
   On success it sets USER, HOME and SHELL, chdirs to HOME ($TOY_HOME or /),
   drops to $TOY_UID/$TOY_GID if given (as the real one switches to the
   user), and execs PROG. Exits 1 for a wrong password or unknown user, 2
   for misuse (no PROG, unreadable or malformed fd 3), 111 for a temporary
   error (including a PROG that cannot be run). */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct user {
	const char *name, *pass, *env;
};

static const struct user builtin[] = {
	{ "joe", "right", 0 },
	{ "norelay", "right", "NORELAY=1" },
};

static char input[513];
static char userfile[8192];

/* Reads fd 3 to EOF (at most 512 bytes, as checkpassword does), or up to
   the third NUL, so a test can hold logins at a FIFO and release them. */
static size_t read_input(void)
{
	size_t n = 0, i, nuls = 0;
	ssize_t r;

	for (;;) {
		for (i = 0, nuls = 0; i < n; ++i)
			nuls += input[i] == 0;
		if (n == sizeof input - 1 || nuls >= 3)
			break;
		r = read(3, input + n, sizeof input - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			_exit(2);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(3);
	return n;
}

/* Looks name up in $TOY_USERS. 1 with *u filled, 0 if absent; exits 111
   if the file cannot be read. */
static int file_user(const char *path, const char *name, struct user *u)
{
	FILE *f = fopen(path, "r");
	size_t n;
	char *line, *next, *c1, *c2;

	if (!f)
		_exit(111);
	n = fread(userfile, 1, sizeof userfile - 1, f);
	if (ferror(f))
		_exit(111);
	fclose(f);
	userfile[n] = 0;
	for (line = userfile; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		c1 = strchr(line, ':');
		if (!c1)
			continue;
		*c1 = 0;
		if (strcmp(line, name) != 0)
			continue;
		c2 = strchr(c1 + 1, ':');
		if (c2)
			*c2 = 0;
		u->name = line;
		u->pass = c1 + 1;
		u->env = c2 ? c2 + 1 : 0;
		return 1;
	}
	return 0;
}

/* A decimal id from the environment: 1 with *id, 0 if unset; exits 2 if bad. */
static int env_id(const char *var, unsigned long *id)
{
	const char *v = getenv(var);
	char *end;

	if (!v)
		return 0;
	errno = 0;
	*id = strtoul(v, &end, 10);
	if (!v[0] || *end || errno || *id > INT_MAX)
		_exit(2);
	return 1;
}

int main(int argc, char **argv)
{
	const char *name, *pass, *home = getenv("TOY_HOME"), *users = getenv("TOY_USERS");
	struct user u = { 0, 0, 0 };
	unsigned long uid, gid;
	int have_uid, have_gid;
	size_t n, i, nuls = 0;

	if (argc < 2)
		return 2;
	n = read_input();
	/* user NUL password NUL timestamp NUL: three NULs, user not empty */
	for (i = 0; i < n; ++i)
		nuls += input[i] == 0;
	if (nuls < 2 || n == 0 || input[0] == 0)
		return 2;
	input[n] = 0;
	name = input;
	pass = input + strlen(input) + 1;
	if (strcmp(name, "tempfail") == 0)
		return 111;
	if (users) {
		if (!file_user(users, name, &u))
			return 1;
	} else {
		for (i = 0; i < sizeof builtin / sizeof builtin[0]; ++i)
			if (strcmp(builtin[i].name, name) == 0)
				u = builtin[i];
		if (!u.name)
			return 1;
	}
	if (strcmp(u.pass, pass) != 0)
		return 1;
	if (!home)
		home = "/";
	if (setenv("USER", u.name, 1) == -1 || setenv("HOME", home, 1) == -1
	    || setenv("SHELL", "/bin/sh", 1) == -1)
		return 111;
	if (u.env) {
		const char *eq = strchr(u.env, '=');
		char var[128];

		if (!eq || (size_t)(eq - u.env) >= sizeof var)
			return 111;
		memcpy(var, u.env, (size_t)(eq - u.env));
		var[eq - u.env] = 0;
		if (setenv(var, eq + 1, 1) == -1)
			return 111;
	}
	if (chdir(home) == -1)
		return 111;
	have_gid = env_id("TOY_GID", &gid);
	have_uid = env_id("TOY_UID", &uid);
	if (have_gid || have_uid) {
		if (setgroups(0, 0) == -1)
			return 111;
		if (have_gid && setgid((gid_t)gid) == -1)
			return 111;
		if (have_uid && setuid((uid_t)uid) == -1)
			return 111;
	}
	execvp(argv[1], argv + 1);
	return 111;
}
