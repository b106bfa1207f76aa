/*
 * Compiler extensions, in one place (docs/style §4). Everything else in the
 * tree is plain C11.
 */
#ifndef ADSYNC_ATTRIBUTES_H
#define ADSYNC_ATTRIBUTES_H

#define ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NODISCARD __attribute__((warn_unused_result))
#define ATTR_NORETURN __attribute__((noreturn))
#define ATTR_UNUSED __attribute__((unused))

#endif
