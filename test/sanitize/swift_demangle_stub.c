/*
 * Preloaded after the ASan runtime into the (uninstrumented) postmaster by
 * test/sanitize/run.sh.  Not part of comm_result.
 *
 * Why: the Debian postgres binary depends (through libsystemd and libgcrypt)
 * on libgpg-error, whose ELF constructor calls bindtextdomain() before the
 * preloaded ASan runtime has initialised.  The malloc() inside
 * bindtextdomain, made while glibc holds its gettext lock, initialises ASan
 * lazily; ASan's initialisation looks up the optional symbol
 * "swift_demangle" with dlsym() and clears the failure with dlerror(), which
 * translates the message through gettext, takes the same lock again and
 * leaves it corrupted, so the process hangs in bindtextdomain() at startup
 * (even "postgres -V").  Defining the symbol makes the dlsym() succeed, so
 * dlerror() has nothing to translate.  ASan only calls it for Swift-mangled
 * names (none here), and returning NULL means "not demangled".
 */
#include <stddef.h>

char *swift_demangle(const char *mangled, size_t mangled_len, char *out,
					 size_t *out_len, unsigned flags);

char *
swift_demangle(const char *mangled, size_t mangled_len, char *out,
			   size_t *out_len, unsigned flags)
{
	(void) mangled;
	(void) mangled_len;
	(void) out;
	(void) out_len;
	(void) flags;
	return NULL;
}
