// libseccomp (Debian's libseccomp-dev), plus its function-like macros as functions Swift can call.
#include <seccomp.h>

static inline uint32_t cove_scmp_act_errno(uint32_t e) { return SCMP_ACT_ERRNO(e); }
static inline uint32_t cove_scmp_act_trace(uint32_t m) { return SCMP_ACT_TRACE(m); }
