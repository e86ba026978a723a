/* The plain C peer of the ingest benchmark (scripts/bench/ingest, README "Benchmarks"): what a
 * hand-written libpq + SQLite program does with the same queries, as a floor for tracespool's
 * client-side cost. Two connections on one exported snapshot fetch the batches in turn
 * (`COPY (select) TO STDOUT`, text format), each running at most two batches ahead of the writer;
 * the main thread writes every row into one SQLite table per domain (WAL, synchronous=NORMAL,
 * one transaction per batch, values bound as text) and builds the CID index after each domain.
 *
 *   ingest_copy CONNINFO OUT.sqlite PLAN
 *
 * PLAN: one line per statement, `domain<TAB>select` (the select on one line). On stdout:
 * {"rows":{"domain":N,…}}. Build: cc -O2 ingest_copy.c -lpq -lsqlite3 -lpthread */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANES 2
#define AHEAD 2

typedef struct { char *data; size_t len, cap; long rows; int ready; } Batch;
typedef struct { char *domain; char *sql; } Item;

static Item *items;
static Batch *batches;
static int nitems;
static long written = -1; /* the last item the writer finished */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static const char *conninfo;
static char snapshot[64];

static void die(const char *what, const char *detail) {
    fprintf(stderr, "ingest_copy: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static PGconn *connect_reader(int first) {
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) die("connect", PQerrorMessage(c));
    PGresult *r = PQexec(c, "SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; "
                            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die("begin", PQerrorMessage(c));
    PQclear(r);
    if (first) {
        r = PQexec(c, "SELECT pg_export_snapshot()");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) die("export snapshot", PQerrorMessage(c));
        snprintf(snapshot, sizeof snapshot, "%s", PQgetvalue(r, 0, 0));
    } else {
        char sql[128];
        snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", snapshot);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) die("set snapshot", PQerrorMessage(c));
    }
    PQclear(r);
    return c;
}

typedef struct { PGconn *conn; int lane; } Lane;

static void *fetch(void *arg) {
    Lane *lane = arg;
    for (int i = lane->lane; i < nitems; i += LANES) {
        pthread_mutex_lock(&mu);
        while (i > written + AHEAD) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        size_t n = strlen(items[i].sql);
        char *copy = malloc(n + 32);
        snprintf(copy, n + 32, "COPY (%s) TO STDOUT", items[i].sql);
        PGresult *r = PQexec(lane->conn, copy);
        free(copy);
        if (PQresultStatus(r) != PGRES_COPY_OUT) die("copy", PQerrorMessage(lane->conn));
        PQclear(r);
        Batch *b = &batches[i];
        char *row;
        int got;
        while ((got = PQgetCopyData(lane->conn, &row, 0)) > 0) {
            if (b->len + (size_t)got > b->cap) {
                b->cap = (b->len + got) * 2;
                b->data = realloc(b->data, b->cap);
            }
            memcpy(b->data + b->len, row, got);
            b->len += got;
            b->rows++;
            PQfreemem(row);
        }
        if (got == -2) die("copy data", PQerrorMessage(lane->conn));
        r = PQgetResult(lane->conn);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) die("copy end", PQerrorMessage(lane->conn));
        PQclear(r);
        pthread_mutex_lock(&mu);
        b->ready = 1;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* Decodes one text-format field in place; returns its length, or -1 for NULL (\N). */
static long decode(char *s, long n) {
    if (n == 2 && s[0] == '\\' && s[1] == 'N') return -1;
    long o = 0;
    for (long i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n) {
            char e = s[++i];
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'v' ? '\v' : e;
        }
        s[o++] = ch;
    }
    return o;
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err);
}

int main(int argc, char **argv) {
    if (argc != 4) die("usage", "ingest_copy CONNINFO OUT.sqlite PLAN");
    conninfo = argv[1];
    FILE *plan = fopen(argv[3], "r");
    if (!plan) die("plan", argv[3]);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int icap = 0;
    while ((len = getline(&line, &cap, plan)) > 0) {
        if (line[len - 1] == '\n') line[--len] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        if (nitems == icap) items = realloc(items, sizeof(Item) * (icap = icap ? icap * 2 : 64));
        items[nitems].domain = strdup(line);
        items[nitems].sql = strdup(tab + 1);
        nitems++;
    }
    fclose(plan);
    batches = calloc(nitems ? nitems : 1, sizeof(Batch));

    remove(argv[2]);
    sqlite3 *db;
    if (sqlite3_open(argv[2], &db) != SQLITE_OK) die("sqlite open", sqlite3_errmsg(db));
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2048");

    Lane lanes[LANES];
    pthread_t threads[LANES];
    for (int k = 0; k < LANES; k++) {
        lanes[k].conn = connect_reader(k == 0);
        lanes[k].lane = k;
    }
    for (int k = 0; k < LANES; k++) pthread_create(&threads[k], NULL, fetch, &lanes[k]);

    sqlite3_stmt *insert = NULL;
    const char *domain = NULL;
    long domainRows = 0;
    char json[4096] = "{\"rows\":{";
    int ndomains = 0;
    for (int i = 0; i <= nitems; i++) {
        if (i == nitems || !domain || strcmp(domain, items[i].domain) != 0) {
            if (domain) {
                if (insert) {
                    sqlite3_finalize(insert);
                    insert = NULL;
                    char sql[256];
                    snprintf(sql, sizeof sql, "CREATE INDEX ev_%s_cid ON ev_%s (c1)", domain, domain);
                    exec(db, sql);
                }
                snprintf(json + strlen(json), sizeof json - strlen(json), "%s\"%s\":%ld", ndomains++ ? "," : "", domain, domainRows);
            }
            if (i == nitems) break;
            domain = items[i].domain;
            domainRows = 0;
        }
        pthread_mutex_lock(&mu);
        while (!batches[i].ready) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        Batch *b = &batches[i];
        exec(db, "BEGIN");
        char *p = b->data, *end = b->data + b->len;
        while (p < end) {
            char *eol = memchr(p, '\n', end - p);
            if (!eol) eol = end;
            if (!insert) {
                /* The table from the first row's field count: batch, then c1 (the CID) … cN. */
                int fields = 1;
                for (char *q = p; q < eol; q++) fields += *q == '\t';
                char *sql = malloc(64 + fields * 16);
                int o = sprintf(sql, "CREATE TABLE ev_%s (batch INTEGER", domain);
                for (int f = 1; f <= fields; f++) o += sprintf(sql + o, ", c%d", f);
                sprintf(sql + o, ")");
                exec(db, sql);
                o = sprintf(sql, "INSERT INTO ev_%s VALUES (?", domain);
                for (int f = 1; f <= fields; f++) o += sprintf(sql + o, ", ?");
                sprintf(sql + o, ")");
                if (sqlite3_prepare_v2(db, sql, -1, &insert, NULL) != SQLITE_OK) die("prepare", sqlite3_errmsg(db));
                free(sql);
            }
            sqlite3_bind_int(insert, 1, i);
            int f = 2;
            char *start = p;
            for (char *q = p; ; q++) {
                if (q == eol || *q == '\t') {
                    long n = decode(start, q - start);
                    if (n < 0) sqlite3_bind_null(insert, f);
                    else sqlite3_bind_text(insert, f, start, (int)n, SQLITE_STATIC);
                    f++;
                    if (q == eol) break;
                    start = q + 1;
                }
            }
            if (sqlite3_step(insert) != SQLITE_DONE) die("insert", sqlite3_errmsg(db));
            sqlite3_reset(insert);
            domainRows++;
            p = eol + 1;
        }
        exec(db, "COMMIT");
        free(b->data);
        b->data = NULL;
        pthread_mutex_lock(&mu);
        written = i;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    for (int k = 0; k < LANES; k++) {
        pthread_join(threads[k], NULL);
        PQfinish(lanes[k].conn);
    }
    sqlite3_close(db);
    printf("%s}}\n", json);
    return 0;
}
