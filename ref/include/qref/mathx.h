/* qref/mathx.h — transcendental functions from IEEE basic operations only.
 *
 * WHY: the reference and the vector generator may not call libm. libm's
 * exp/log/sin/cos differ between glibc versions and between x86-64 and
 * aarch64 in the last bit, and a golden vector must be the same bytes on
 * every platform. These functions use +, -, *, / and sqrt (all correctly
 * rounded by IEEE 754) plus bit manipulation, in a fixed order, so with
 * -ffp-contract=off they give the same bits everywhere.
 *
 * ACCURACY (double precision; measured by ref/tests/test_mathx.c against
 * long double libm over 2^20 deterministic arguments per function, and
 * asserted there):
 *   qref_exp   |error| < 1 ulp (subnormal results: < 1.01 ulp of the
 *              subnormal grid, as they are rounded twice)
 *   qref_log   |error| < 1 ulp
 *   qref_sin, qref_cos   |error| < 1 ulp for |x| <= 2^32 (the reduction
 *              subtracts k * pi/2 with pi/2 split in 21-bit pieces, so
 *              every k * piece is exact for |k| < 2^32; beyond, NaN)
 *   qref_pow   x > 0: exp(y * log(x)) with log(x) carried in double-double,
 *              relative error < 2 ulp (measured on the RoPE
 *              frequency range base^-t and on x^-0.734375)
 *   qref_sigmoid, qref_silu: a few ulp (compositions of the above)
 * Special values follow C99 Annex F where it matters for the reference:
 * exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN, overflow -> +inf,
 * underflow -> gradual (subnormals, rounded once) then 0; log(0) = -inf,
 * log(x < 0) = NaN, log(+inf) = +inf; sin/cos(+-inf) = NaN.
 * No function sets errno or raises traps on purpose.
 */
#ifndef QREF_MATHX_H
#define QREF_MATHX_H

#ifdef __cplusplus
extern "C" {
#endif

double qref_exp(double x);
double qref_log(double x);
double qref_sin(double x);
double qref_cos(double x);
/* Both at once (one reduction). */
void qref_sincos(double x, double *s, double *c);
/* x^y for x > 0 (x = 0: 0 for y > 0, +inf for y < 0, 1 for y = 0);
 * x < 0: NaN (the reference never needs it). */
double qref_pow(double x, double y);
/* Correctly rounded square root (IEEE basic operation). */
double qref_sqrt(double x);
/* 1 / (1 + exp(-x)), evaluated without overflow for either sign. */
double qref_sigmoid(double x);
/* x * sigmoid(x). */
double qref_silu(double x);
/* Round to the nearest integer, ties to even, as a double (|x| < 2^52). */
double qref_rint(double x);
double qref_floor(double x);
double qref_fabs(double x);

#ifdef __cplusplus
}
#endif
#endif
