// CLinux: only what Swift cannot import directly — calls Swift's Glibc module hides (GNU extensions),
// calls glibc lacks, variadic calls, and function-like macros. No logic lives here.
//
// Only <stdint.h>, <sys/types.h> and kernel UAPI headers are included: glibc headers compiled with
// _GNU_SOURCE here would clash with Swift's own Glibc module. The wrappers are built in CLinux.c.
#ifndef COVE_CLINUX_H
#define COVE_CLINUX_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/sched.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/prctl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/veth.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ioctl request numbers built with _IO(), which Swift cannot evaluate */
static const unsigned long COVE_NS_GET_USERNS = NS_GET_USERNS;
static const unsigned long COVE_NS_GET_PARENT = NS_GET_PARENT;
static const unsigned long COVE_NS_GET_NSTYPE = NS_GET_NSTYPE;
static const unsigned long COVE_NS_GET_OWNER_UID = NS_GET_OWNER_UID;

/* terminal ioctls built with _IO/_IOR/_IOW */
unsigned long cove_tiocgptpeer(void);
unsigned long cove_tiocsptlck(void);
unsigned long cove_tiocgptn(void);

/* openat2(2) */
#define COVE_RESOLVE_NO_XDEV 0x01
#define COVE_RESOLVE_NO_MAGICLINKS 0x02
#define COVE_RESOLVE_NO_SYMLINKS 0x04
#define COVE_RESOLVE_BENEATH 0x08
#define COVE_RESOLVE_IN_ROOT 0x10
struct cove_open_how { uint64_t flags; uint64_t mode; uint64_t resolve; };

/* unshare(2), setns(2), fork(2), clone3(2) */
int cove_unshare(int flags);
int cove_setns(int fd, int nstype);
pid_t cove_fork(void);
/* glibc's clone(3) (variadic) with the arguments posix_spawn uses: fn(arg) runs in the child on stack_top */
int cove_clone_fn(int (*fn)(void *), void *stack_top, int flags, void *arg);
long cove_clone3(struct clone_args *args, size_t size);

/* pipe2(2), open(2)/openat(2) with a mode, openat2(2), close_range(2), fcntl(2) */
int cove_pipe2(int fds[2], int flags);
int cove_open(const char *path, int flags, mode_t mode);
int cove_openat(int dirfd, const char *path, int flags, mode_t mode);
int cove_openat2(int dirfd, const char *path, struct cove_open_how *how);
int cove_close_range(unsigned int first, unsigned int last, unsigned int flags);
int cove_fcntl(int fd, int cmd, long arg);

/* renameat2(2): RENAME_EXCHANGE swaps two names atomically */
#define COVE_RENAME_EXCHANGE (1 << 1)
int cove_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/* pivot_root(2), sethostname(2), setdomainname(2) */
int cove_pivot_root(const char *new_root, const char *put_old);
int cove_sethostname(const char *name, size_t len);
int cove_setdomainname(const char *name, size_t len);

/* pidfd_open(2), pidfd_send_signal(2) */
int cove_pidfd_open(pid_t pid, unsigned int flags);
int cove_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/* capget(2), capset(2), prctl(2), ioctl(2) */
int cove_capget(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d);
int cove_capset(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d);
int cove_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int cove_ioctl(int fd, unsigned long request, unsigned long arg);
int cove_ioctl_ptr(int fd, unsigned long request, void *arg);
/* ioctl(2) with a struct ifreq holding a device name and its flags (SIOCGIFFLAGS, SIOCSIFFLAGS): Swift sees two
   clashing definitions of struct ifreq (glibc's net/if.h and linux/if.h), so the struct stays on this side. */
int cove_ioctl_ifflags(int fd, unsigned long request, const char *name, short *flags);
/* statfs(2)'s f_type, or -1 with errno: Swift's Glibc module leaves sys/vfs.h out. */
long cove_statfs_type(const char *path);
static const unsigned long COVE_SIOCGIFFLAGS = SIOCGIFFLAGS;
static const unsigned long COVE_SIOCSIFFLAGS = SIOCSIFFLAGS;

/* setresuid(2), setresgid(2) */
int cove_setresuid(uid_t r, uid_t e, uid_t s);
int cove_setresgid(gid_t r, gid_t e, gid_t s);

/* signalfd(2): `mask` is a sigset_t */
int cove_signalfd(int fd, const void *mask);

/* execvpe(3) */
int cove_execvpe(const char *file, char *const argv[], char *const envp[]);

/* wait(2) status macros */
int cove_WIFEXITED(int s);
int cove_WEXITSTATUS(int s);
int cove_WIFSIGNALED(int s);
int cove_WTERMSIG(int s);

/* SCM_RIGHTS: send or receive one file descriptor over a unix socket (sendmsg/recvmsg with cmsg macros) */
ssize_t cove_send_fd(int sock, int fd, const void *data, size_t len);
ssize_t cove_recv_fd(int sock, int *fd, void *data, size_t len);
/* Up to COVE_MAX_FDS descriptors in one SCM_RIGHTS message; *count gets how many arrived. */
#define COVE_MAX_FDS 64
ssize_t cove_send_fds(int sock, const int *fds, int count, const void *data, size_t len);
ssize_t cove_recv_fds(int sock, int *fds, int *count, void *data, size_t len);

/* device numbers */
unsigned int cove_major(dev_t d);
unsigned int cove_minor(dev_t d);
dev_t cove_makedev(unsigned int ma, unsigned int mi);

/* memfd_create(2) and its seals (fcntl F_ADD_SEALS): a sealed in-memory copy of the cove binary */
#define COVE_MFD_CLOEXEC 0x0001U
#define COVE_MFD_ALLOW_SEALING 0x0002U
#define COVE_F_ADD_SEALS 1033
#define COVE_F_GET_SEALS 1034
#define COVE_F_SEAL_SEAL 0x0001
#define COVE_F_SEAL_SHRINK 0x0002
#define COVE_F_SEAL_GROW 0x0004
#define COVE_F_SEAL_WRITE 0x0008
int cove_memfd_create(const char *name, unsigned int flags);
ssize_t cove_sendfile(int out_fd, int in_fd, size_t count);

/* keyctl(KEYCTL_JOIN_SESSION_KEYRING): a fresh session keyring per container */
long cove_keyctl_join_session(const char *name);

/* bpf(2): cgroup v2 device programs. Cgroups builds union bpf_attr byte by byte (its layout is kernel ABI). */
long cove_bpf(int cmd, void *attr, unsigned int size);

/* personality(2), ioprio_set(2), sched_setattr(2): process.personality, ioPriority, scheduler */
struct cove_sched_attr {
    uint32_t size; uint32_t sched_policy; uint64_t sched_flags; int32_t sched_nice; uint32_t sched_priority;
    uint64_t sched_runtime; uint64_t sched_deadline; uint64_t sched_period; uint32_t sched_util_min; uint32_t sched_util_max;
};
int cove_personality(unsigned long persona);
int cove_ioprio_set(int which, int who, int ioprio);
int cove_sched_setattr(pid_t pid, struct cove_sched_attr *attr, unsigned int flags);

/* open_tree(2), mount_setattr(2), move_mount(2): idmapped bind mounts (constants from linux/mount.h, which
   would clash with Glibc's MS_* enum if included here) */
#define COVE_OPEN_TREE_CLONE 1
#define COVE_AT_RECURSIVE 0x8000
#define COVE_AT_EMPTY_PATH 0x1000
#define COVE_MOUNT_ATTR_IDMAP 0x00100000ULL
#define COVE_MOUNT_ATTR_RDONLY 0x00000001ULL
#define COVE_MOUNT_ATTR_NOSUID 0x00000002ULL
#define COVE_MOUNT_ATTR_NODEV 0x00000004ULL
#define COVE_MOUNT_ATTR_NOEXEC 0x00000008ULL
#define COVE_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
struct cove_mount_attr { uint64_t attr_set; uint64_t attr_clr; uint64_t propagation; uint64_t userns_fd; };
int cove_open_tree(int dfd, const char *path, unsigned int flags);
int cove_mount_setattr(int dfd, const char *path, unsigned int flags, struct cove_mount_attr *attr);
int cove_move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags);

/* execveat(2) (glibc's fexecve falls back to /proc/self/fd/N, which a private /proc may lack) */
int cove_execveat(int dfd, const char *path, char *const argv[], char *const envp[], int flags);

int cove_errno(void);

#endif
