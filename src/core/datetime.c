/*
 * datetime.c: the API's datetimes (spec §2): UTC ISO-8601 strings such as
 * "2018-11-14T00:00:00Z" and "2019-02-23T02:05:23.2931817Z", with up to 7 fractional digits
 * (the service is .NET: its DateTime counts 100 ns ticks, years 0001 to 9999, and has no leap
 * second, so a second of 60 is refused). Only the form the service writes is accepted: no
 * offsets, no lower-case 't' or 'z', no missing leading zeros (spec §6, pitfall 8).
 */
#include "referrals.h"

#define FRACTION_DIGITS 7
#define SECONDS_PER_DAY 86400LL
#define FIRST_SECOND (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define END_SECOND 253402300800LL     /* 10000-01-01T00:00:00Z, the first one out of range */

static int is_leap(long year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

static int days_in_month(long year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The decimal value of the n digits at s (already checked to be digits). */
static long digits_value(const char *s, int n) {
  long v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

int referrals_datetime_valid(const char *s, size_t len) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd"; /* 'd': a digit; else that character */
  const size_t whole = sizeof shape - 1;
  if (len < whole + 1) return 0;
  for (size_t i = 0; i < whole; i++) {
    if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i]) return 0;
  }
  size_t i = whole;
  if (s[i] == '.') {
    size_t first = ++i;
    while (i < len && is_digit(s[i])) i++;
    if (i == first || i - first > FRACTION_DIGITS) return 0;
  }
  if (i + 1 != len || s[i] != 'Z') return 0;

  long year = digits_value(s, 4);
  int month = (int)digits_value(s + 5, 2), day = (int)digits_value(s + 8, 2);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) &&
         digits_value(s + 11, 2) < 24 && digits_value(s + 14, 2) < 60 &&
         digits_value(s + 17, 2) < 60;
}

/* The civil date of a day count from 1970-01-01, proleptic Gregorian (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", civil_from_days). */
static void civil_from_days(long long z, long *year, int *month, int *day) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;                                      /* [0, 146096] */
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  long long mp = (5 * doy + 2) / 153;                                    /* [0, 11], from March */
  *day = (int)(doy - (153 * mp + 2) / 5 + 1);
  *month = (int)(mp < 10 ? mp + 3 : mp - 9);
  *year = (long)(yoe + era * 400 + (*month <= 2));
}

/* Writes v as exactly n decimal digits, zero-padded; returns the end. */
static char *put_digits(char *out, long long v, int n) {
  for (int i = n - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return out + n;
}

static long long floor_to_integer(double t) {
  long long i = (long long)t; /* truncates toward zero */
  return (double)i > t ? i - 1 : i;
}

/* Splits t into whole seconds and the fewest fraction digits (up to 7) that give t back, so
 * that 1.5 is written ".5" and a Lua os.time() + 0.1 ".1", not the ".0999999" of its binary
 * value. Returns the number of digits; *ticks holds them. */
static int split_seconds(double t, long long *whole, long long *ticks) {
  *whole = floor_to_integer(t);
  double frac = t - (double)*whole, scale = 1;
  int digits = 0;
  for (;; digits++, scale *= 10) {
    *ticks = (long long)(frac * scale + 0.5);
    if (digits == FRACTION_DIGITS || (double)*whole + (double)*ticks / scale == t) break;
  }
  if ((double)*ticks == scale) { /* .99999995 and up round to the next whole second */
    ++*whole;
    *ticks = 0;
  }
  while (digits > 0 && *ticks % 10 == 0) { /* left by rounding to 7 digits */
    *ticks /= 10;
    digits--;
  }
  return digits;
}

size_t referrals_datetime_format(double t, char out[32]) {
  /* Also refuses NaN, for which both comparisons are false. */
  if (!(t >= (double)FIRST_SECOND && t < (double)END_SECOND)) return 0;
  long long whole, ticks;
  int digits = split_seconds(t, &whole, &ticks);
  if (whole >= END_SECOND) return 0;

  long long days = whole / SECONDS_PER_DAY, second = whole % SECONDS_PER_DAY;
  if (second < 0) {
    second += SECONDS_PER_DAY;
    days--;
  }
  long year;
  int month, day;
  civil_from_days(days, &year, &month, &day);

  char *p = put_digits(out, year, 4);
  *p++ = '-';
  p = put_digits(p, month, 2);
  *p++ = '-';
  p = put_digits(p, day, 2);
  *p++ = 'T';
  p = put_digits(p, second / 3600, 2);
  *p++ = ':';
  p = put_digits(p, second / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, second % 60, 2);
  if (digits > 0) {
    *p++ = '.';
    p = put_digits(p, ticks, digits);
  }
  *p++ = 'Z';
  *p = '\0';
  return (size_t)(p - out);
}
