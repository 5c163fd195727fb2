#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* A state directory holds a few files; more than this is not ours. */
#define PRIVDROP_ENTRIES_MAX 1024
#define PRIVDROP_PW_BUF 4096

/* The same three as the unit's CapabilityBoundingSet=. */
static const unsigned privdrop_caps[] = { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW };

static uint64_t privdrop_keep_mask(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < sizeof(privdrop_caps) / sizeof(privdrop_caps[0]); i++)
		m |= UINT64_C(1) << privdrop_caps[i];
	return m;
}

/* A shared directory (/, /tmp, /run) given as --state-dir must not be
 * handed to the daemon's user. Returns 0, 1 for a shared one, or -errno. */
static int privdrop_dir_is_ours(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (strcmp(path, "/") == 0 || (st.st_mode & (S_ISVTX | S_IWOTH))) {
		log_warning("%s is a shared directory: not giving it to user %s, running as root",
			    path, PRIVDROP_USER);
		return 1;
	}
	return 0;
}

/* Gives the directory to uid:gid, and the files, sockets and directories
 * directly inside it to uid (their group stays: the control socket's is
 * the one its clients rely on). Symbolic links are left alone. Returns 0,
 * 1 when the directory is shared (nothing changed), or -errno. */
static int privdrop_chown_dir(const char *path, uid_t uid, gid_t gid)
{
	unsigned n = 0;
	struct dirent *e;
	DIR *dir;
	int fd, r;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = privdrop_dir_is_ours(fd, path);
	if (r == 0 && fchown(fd, uid, gid) < 0)
		r = -errno;
	if (r != 0) {
		close(fd);
		return r;
	}
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((e = readdir(dir)) && n++ < PRIVDROP_ENTRIES_MAX) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    e->d_type == DT_LNK)
			continue;
		if (fchownat(dirfd(dir), e->d_name, uid, (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
	}
	closedir(dir);
	return r;
}

/* Every capability outside the three leaves the bounding set, so that not
 * even an exec of a file with capabilities brings one back. */
static int privdrop_bounding_set(uint64_t keep)
{
	for (unsigned cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;  /* past the kernel's last capability */
		if (r == 0 || (keep & (UINT64_C(1) << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

/* capset(2) through the raw system call: no libcap for three bits. */
static int privdrop_capset(uint64_t caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	return syscall(SYS_capset, &h, data) < 0 ? -errno : 0;
}

/* Keeps the permitted set across setuid (PR_SET_KEEPCAPS), changes
 * identity, then makes the three capabilities effective again: setuid
 * clears the effective set. */
static int privdrop_switch(uid_t uid, gid_t gid, uint64_t keep)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return -errno;
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return privdrop_capset(keep);
}

int privdrop_to_user(const char *user, const char *const *dirs, size_t n_dirs)
{
	struct passwd pw, *res = NULL;
	char buf[PRIVDROP_PW_BUF];
	uint64_t keep = privdrop_keep_mask();
	int r;

	if (geteuid() != 0)
		return 1;
	r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0 || !res) {
		log_warning("there is no user %s: running as root (install defnet's sysusers.d "
			    "entry, or run systemd-sysusers, to have it)", user);
		return 1;
	}
	for (size_t i = 0; i < n_dirs; i++) {
		r = privdrop_chown_dir(dirs[i], pw.pw_uid, pw.pw_gid);
		if (r == 1)
			return 1;
		if (r < 0) {
			log_error("cannot give %s to user %s: %s", dirs[i], user, strerror(-r));
			return r;
		}
	}
	r = privdrop_bounding_set(keep);
	if (r == 0)
		r = privdrop_switch(pw.pw_uid, pw.pw_gid, keep);
	if (r < 0) {
		log_error("cannot become user %s: %s", user, strerror(-r));
		return r;
	}
	log_info("running as user %s (uid %u) with CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and "
		 "CAP_NET_RAW only", user, (unsigned)pw.pw_uid);
	return 0;
}
