/* errors.h - the thread-local error detail behind riptide_last_error_detail(). */
#ifndef RT_COMMON_ERRORS_H
#define RT_COMMON_ERRORS_H

/* Longest detail kept, terminating NUL included; a longer one is cut before the UTF-8 sequence
 * that does not fit (it is a message for people, not data). */
#define RT_ERROR_DETAIL_MAX 256

/* Every public function returning riptide_err clears the detail on entry and may set it before
 * returning an error. The detail names what failed and why, in words. */
void rt_error_detail_clear(void);
void rt_error_detail_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
