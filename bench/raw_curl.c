/*
 * raw_curl.c: the floor of any libcurl client (issue 5, row 1 of `make bench`): one reused
 * easy handle, a pre-serialized body, the answer read into a growing buffer, N POSTs in a
 * row. Prints "requests_per_second cpu_us_per_request peak_rss_kb".
 *   raw_curl URL BODY_FILE N
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct buf {
  char *data;
  size_t len, cap;
} buf;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf *b = ud;
  size_t len = size * n;
  if (b->len + len > b->cap) {
    size_t cap = (b->len + len) * 2;
    char *grown = realloc(b->data, cap);
    if (!grown) return 0;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return len;
}

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: raw_curl URL BODY_FILE N\n");
    return 2;
  }
  FILE *f = fopen(argv[2], "rb");
  if (!f) return 1;
  static char body[1 << 16];
  size_t body_len = fread(body, 1, sizeof body, f);
  fclose(f);
  long n = atol(argv[3]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *e = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  h = curl_slist_append(h, "Authorization: Bearer bench");
  h = curl_slist_append(h, "Expect:");
  buf b = {NULL, 0, 0};
  curl_easy_setopt(e, CURLOPT_URL, argv[1]);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)body_len);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  struct timespec t0, t1;
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    b.len = 0;
    long status = 0;
    if (curl_easy_perform(e) != CURLE_OK ||
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
      fprintf(stderr, "raw_curl: request %ld failed (status %ld)\n", i, status);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  getrusage(RUSAGE_SELF, &r1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu =
      seconds(r1.ru_utime) - seconds(r0.ru_utime) + seconds(r1.ru_stime) - seconds(r0.ru_stime);
  printf("%.0f %.1f %ld\n", (double)n / wall, cpu / (double)n * 1e6, r1.ru_maxrss);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  free(b.data);
  curl_global_cleanup();
  return 0;
}
