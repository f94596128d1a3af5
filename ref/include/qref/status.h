/* qref/status.h — error codes of the reference library.
 * Every qref function that can fail returns a qref_status; QREF_OK is 0.
 * qref_status_name() gives a stable identifier, qref_status_message() a
 * sentence for people. */
#ifndef QREF_STATUS_H
#define QREF_STATUS_H

typedef enum qref_status {
    QREF_OK = 0,
    QREF_ERR_ARG,          /* a NULL pointer or an out-of-range enum value */
    QREF_ERR_NAN,          /* NaN input where the format/convention has no NaN: the
                              code written is the convention's fallback, see fmt.h */
    QREF_ERR_MODE,         /* sat/nosat requested where the format or convention fixes it */
    QREF_ERR_CODE,         /* a code with bits set above the format's width */
    QREF_ERR_UNSUPPORTED,  /* a combination the reference does not implement */
    QREF_ERR_SIZE,         /* sizes or shapes that do not fit together */
    QREF_ERR_DATA,         /* invalid packed data (e.g. a NaN E8M0 block scale) */
    QREF_STATUS_COUNT
} qref_status;

const char *qref_status_name(qref_status s);
const char *qref_status_message(qref_status s);

#endif
