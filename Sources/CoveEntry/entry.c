/* The `cove` executable's ELF entry point: the CVE-2019-5736 re-exec before the C library starts.

   `cove create`, `run` and `exec` must run from a file no container can write (see Kernel's
   SealedExecutable, which stays the authority: it checks again and has the fallbacks). Done in Swift, the
   re-exec first pays a whole process start — static glibc's initialisation alone (TLS, IFUNC relocations,
   cache probing with cpuid, which traps in a VM) costs more than the three system calls. So the first
   thing the process runs is cove_entry: when the command is create, run or exec and the binary is not
   already on a read-only mount or a memfd, it clones the binary's mount read-only, detached from every
   namespace (open_tree + mount_setattr), and execveat()s it; otherwise, or on any failure, it jumps to
   glibc's _start as if nothing had happened, and SealedExecutable does the work.

   Nothing here may call the C library or touch errno, TLS or the stack protector's canary (none is set up
   yet), and the compiler must not emit memcpy/memset calls (IFUNCs, unresolved this early): system calls
   are inline `syscall` instructions and strings are compared by hand. x86_64 only; on aarch64 cove_entry
   jumps straight to _start. */
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <elf.h>
#include "CLinux.h"

#if defined(__x86_64__)

/* rdx holds the dynamic loader's finaliser (0 in a static binary), which _start passes on: kept in r12,
   which the call preserves. rsp points at argc and is 16-byte aligned, as a call requires. */
__asm__(".text\n"
        ".globl cove_entry\n"
        ".type cove_entry,@function\n"
        "cove_entry:\n"
        "    mov %rdx, %r12\n"
        "    mov %rsp, %rdi\n"
        "    call cove_entry_seal\n"
        "    mov %r12, %rdx\n"
        "    jmp _start\n"
        ".size cove_entry, .-cove_entry\n");

static long raw_syscall(long n, long a, long b, long c, long d, long e) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
    return ret;
}

static int same(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static int starts(const char *s, const char *prefix) {
    while (*prefix && *s == *prefix) { s++; prefix++; }
    return *prefix == 0;
}

/* The subcommand after runc's global options, as RuntimeGlobals.consume reads them. */
static const char *command_word(long argc, char **argv) {
    for (long i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') return a;
        if (same(a, "--root") || same(a, "--log") || same(a, "--log-format")) i++;
    }
    return NULL;
}

/* The kernel names a program started by execveat(fd, "", AT_EMPTY_PATH) "/dev/fd/N" in AT_EXECFN: a re-exec
   already happened (here or in SealedExecutable), so no second one from here, whatever the checks say. */
static int started_from_fd(char **envp) {
    while (*envp) envp++;
    for (Elf64_auxv_t *aux = (Elf64_auxv_t *)(envp + 1); aux->a_type != AT_NULL; aux++)
        if (aux->a_type == AT_EXECFN) return starts((const char *)aux->a_un.a_val, "/dev/fd/");
    return 0;
}

static int already_sealed(void) {
    char link[8];
    long n = raw_syscall(SYS_readlink, (long)"/proc/self/exe", (long)link, sizeof link, 0, 0);
    if (n >= 7 && starts(link, "/memfd:")) return 1;
    struct statfs fs;
    return raw_syscall(SYS_statfs, (long)"/proc/self/exe", (long)&fs, 0, 0, 0) == 0 && (fs.f_flags & ST_RDONLY);
}

__attribute__((used, no_stack_protector)) void cove_entry_seal(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    const char *cmd = command_word(argc, argv);
    if (!cmd || !(same(cmd, "create") || same(cmd, "run") || same(cmd, "exec"))) return;
    if (started_from_fd(envp) || already_sealed()) return;
    long tree = raw_syscall(SYS_open_tree, -100 /* AT_FDCWD */, (long)"/proc/self/exe",
                            COVE_OPEN_TREE_CLONE | 02000000 /* O_CLOEXEC */, 0, 0);
    if (tree < 0) return;
    struct cove_mount_attr attr;
    attr.attr_set = COVE_MOUNT_ATTR_RDONLY;
    attr.attr_clr = 0;
    attr.propagation = 0;
    attr.userns_fd = 0;
    if (raw_syscall(SYS_mount_setattr, tree, (long)"", COVE_AT_EMPTY_PATH, (long)&attr, sizeof attr) == 0)
        raw_syscall(SYS_execveat, tree, (long)"", (long)argv, (long)envp, COVE_AT_EMPTY_PATH);
    raw_syscall(SYS_close, tree, 0, 0, 0, 0);
}

#elif defined(__aarch64__)
/* No early re-exec here yet: straight on to glibc's _start, x0 (the loader's finaliser) and sp untouched;
   SealedExecutable makes the re-exec. */
__asm__(".text\n"
        ".globl cove_entry\n"
        ".type cove_entry,%function\n"
        "cove_entry:\n"
        "    b _start\n"
        ".size cove_entry, .-cove_entry\n");
#else
#error "CoveEntry: give this architecture a cove_entry that jumps to _start"
#endif
