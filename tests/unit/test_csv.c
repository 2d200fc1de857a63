/* test_csv.c: the shared CSV cell writer and reader (csv.h): formulas never reach a
 * spreadsheet, whatever is written reads back exactly, the guard undone, and the reader takes
 * quotes, CRLF, line breaks inside cells, a BOM and malformed text as csv.h says. */
#include "harness.h"

#include "csv.h"

/* s written as one cell, then read back and unguarded. */
static void round_trip(const char *s, size_t len)
{
    struct buf out = BUF_INIT;
    struct csv_record rec = {0};
    long lines = 0;
    csv_cell(&out, s, len);
    buf_puts(&out, ",x\r\n");
    const char *p = out.data, *end = out.data + out.len;
    assert_int_equal(csv_read(&p, end, &rec, &lines), 1);
    assert_int_equal(rec.n, 2);
    assert_ptr_equal(p, end);
    const char *got = buf_cstr(&rec.cell[0]);
    size_t skip = csv_unguard(got, rec.cell[0].len), n = rec.cell[0].len - skip;
    if (n != len || memcmp(got + skip, s, len) != 0)
        fail_msg("\"%.*s\" came back as \"%.*s\"", (int)len, s, (int)n, got + skip);
    assert_int_equal(rec.cell[1].len, 1);
    csv_record_free(&rec);
    buf_free(&out);
}

static const char *cell(const char *s)
{
    static struct buf out;
    buf_reset(&out);
    csv_cell(&out, s, strlen(s));
    return buf_cstr(&out);
}

static void formulas_are_guarded(void **state)
{
    (void)state;
    assert_string_equal(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    assert_string_equal(cell("+cmd|' /C calc'!A0"), "\"'+cmd|' /C calc'!A0\"");
    assert_string_equal(cell("@SUM(1+1)*cmd|' /C calc'!A0"), "\"'@SUM(1+1)*cmd|' /C calc'!A0\"");
    assert_string_equal(cell("-2+3+cmd|' /C calc'!A0"), "\"'-2+3+cmd|' /C calc'!A0\"");
    assert_string_equal(cell("\t=1+1"), "\"'\t=1+1\"");
    assert_string_equal(cell("\r=1+1"), "\"'\r=1+1\"");
    assert_string_equal(cell("\n=1+1"), "\"'\n=1+1\"");
    assert_string_equal(cell("  =1+1"), "\"'  =1+1\"");
    assert_string_equal(cell("\xef\xbc\x9d"
                             "1+1"),
                        "\"'\xef\xbc\x9d"
                        "1+1\""); /* fullwidth = */
    assert_string_equal(cell("\xef\xbc\xa0SUM(A1)"), "\"'\xef\xbc\xa0SUM(A1)\"");
    assert_string_equal(cell("'quoted'"), "\"''quoted'\""); /* so the guard can be undone */
    /* Plain numbers are no formula; other text is left alone. */
    assert_string_equal(cell("-30"), "-30");
    assert_string_equal(cell("+1.5"), "+1.5");
    assert_string_equal(cell("-"), "\"'-\"");
    assert_string_equal(cell("-1."), "\"'-1.\"");
    assert_string_equal(cell("1-2"), "1-2");
    assert_string_equal(cell("a, \"b\""), "\"a, \"\"b\"\"\"");
    assert_string_equal(cell(" lead"), "\" lead\"");
    assert_string_equal(cell("trail\t"), "\"trail\t\"");
    assert_string_equal(cell(""), "");
    assert_string_equal(cell("plain"), "plain");
    /* Unguarding takes exactly the writer's apostrophe. */
    assert_int_equal(csv_unguard("'=x", 3), 1);
    assert_int_equal(csv_unguard("''x", 3), 1);
    assert_int_equal(csv_unguard("'x", 2), 0);
    assert_int_equal(csv_unguard("'-5", 3), 0);
    assert_int_equal(csv_unguard("'", 1), 0);
    assert_int_equal(csv_unguard("", 0), 0);
}

static void every_value_reads_back_exactly(void **state)
{
    (void)state;
    static const char *const tricky[] = {"",
                                         "'",
                                         "''",
                                         "'=",
                                         "=",
                                         "-",
                                         "-5",
                                         "'-5",
                                         " ",
                                         "  '",
                                         "a\r\nb",
                                         "\"",
                                         "\"\"",
                                         ",",
                                         "HW rev 2; FW 1.4",
                                         "x\"",
                                         "\xef\xbc\x8b",
                                         "'\xef\xbc\x8b",
                                         "\t",
                                         "end ",
                                         "\xe2\x80\xae"};
    for (size_t i = 0; i < COUNT(tricky); i++)
        round_trip(tricky[i], strlen(tricky[i]));
    /* Every string of up to 4 characters over the awkward ones (a few hundred thousand). */
    static const char *const alphabet[] = {"=",  "+",  "-", "@", "'", " ", "\t",           "\r",
                                           "\n", "\"", ",", "1", ".", "a", "\xef\xbc\x9d", ";"};
    enum { N = COUNT(alphabet) };
    char s[32];
    for (int len = 0; len <= 4; len++) {
        long total = 1;
        for (int k = 0; k < len; k++)
            total *= N;
        for (long code = 0; code < total; code++) {
            size_t n = 0;
            for (long c = code, k = 0; k < len; k++, c /= N) {
                size_t l = strlen(alphabet[c % N]);
                memcpy(s + n, alphabet[c % N], l);
                n += l;
            }
            round_trip(s, n);
        }
    }
}

static void records_and_line_numbers(void **state)
{
    (void)state;
    const char text[] = "id,name\r\n"
                        "a,\"two\nlines, \"\"quoted\"\"\"\n"
                        "\n"
                        "b,\"unterminated\nstill";
    const char *p = text, *end = text + sizeof text - 1;
    struct csv_record rec = {0};
    long lines = 0;
    assert_int_equal(csv_read(&p, end, &rec, &lines), 1);
    assert_int_equal(rec.n, 2);
    assert_string_equal(buf_cstr(&rec.cell[1]), "name");
    assert_int_equal(lines, 1);
    assert_int_equal(csv_read(&p, end, &rec, &lines), 1);
    assert_string_equal(buf_cstr(&rec.cell[1]), "two\nlines, \"quoted\"");
    assert_int_equal(lines, 3);
    assert_int_equal(csv_read(&p, end, &rec, &lines), 1); /* the blank line: one empty cell */
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.cell[0].len, 0);
    assert_int_equal(csv_read(&p, end, &rec, &lines), 1);
    assert_string_equal(buf_cstr(&rec.cell[1]), "unterminated\nstill");
    assert_int_equal(lines, 6);
    assert_int_equal(csv_read(&p, end, &rec, &lines), 0);
    /* More cells than CSV_MAX_CELLS: flagged, never written past the end. */
    struct buf wide = BUF_INIT;
    for (int i = 0; i < CSV_MAX_CELLS + 5; i++)
        buf_puts(&wide, i ? ",x" : "x");
    p = wide.data;
    assert_int_equal(csv_read(&p, wide.data + wide.len, &rec, &lines), 1);
    assert_true(rec.too_many);
    buf_free(&wide);
    csv_record_free(&rec);
}

/* Every record of text[0..len) as "[cell|cell]", one after the other, and the line count. */
static const char *records(const char *text, size_t len, long *lines)
{
    static struct buf out;
    struct csv_record rec = {0};
    const char *p = text, *end = text + len;
    buf_reset(&out);
    *lines = 0;
    while (csv_read(&p, end, &rec, lines)) {
        buf_putc(&out, '[');
        for (int i = 0; i < rec.n; i++) {
            if (i) buf_putc(&out, '|');
            buf_append(&out, rec.cell[i].data, rec.cell[i].len);
        }
        buf_putc(&out, ']');
        assert_true(p <= end);
    }
    assert_ptr_equal(p, end);
    csv_record_free(&rec);
    return buf_cstr(&out);
}

#define RECORDS(text, lines) records(text, sizeof text - 1, lines)

static void the_reader(void **state)
{
    (void)state;
    long lines;
    /* Quotes: "" inside them is one ", separators and line breaks inside them are text. */
    assert_string_equal(RECORDS("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", &lines), "[a,b|say \"hi\"|]");
    assert_int_equal(lines, 1);
    /* CRLF or LF end a record; a CR outside quotes is dropped, inside quotes it is kept. */
    assert_string_equal(RECORDS("a,b\r\nc,d\ne\r\n", &lines), "[a|b][c|d][e]");
    assert_int_equal(lines, 3);
    assert_string_equal(RECORDS("a\rb,\"x\r\ny\"\r\n", &lines), "[ab|x\r\ny]");
    assert_int_equal(lines, 2);
    /* The last record needs no line break; empty cells count, at either end. */
    assert_string_equal(RECORDS(",a,,", &lines), "[|a||]");
    assert_int_equal(lines, 1);
    assert_string_equal(RECORDS("", &lines), "");
    assert_int_equal(lines, 0);
    /* A byte order mark is the first cell's text: the reader keeps every byte, and the one
     * caller that reads spreadsheets' files (registry/core/csvdecl.c) skips it before the header.
     */
    assert_string_equal(RECORDS("\xef\xbb\xbfid,name\n", &lines), "[\xef\xbb\xbfid|name]");
    /* Bad input is read as text, never past the end: a quote inside an unquoted cell, text after
     * a closing quote, a quote left open at the end, a NUL. */
    assert_string_equal(RECORDS("a\"b,\"c\"d,\"e", &lines), "[a\"b|cd|e]");
    assert_string_equal(RECORDS("\"open\n,still\"\"", &lines), "[open\n,still\"]");
    assert_int_equal(lines, 2);
    static const char nul[] = {'a', '\0', 'b', ',', 'c'};
    assert_int_equal(records(nul, sizeof nul, &lines)[2], '\0');
    assert_memory_equal(records(nul, sizeof nul, &lines), "[a\0b|c]", 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formulas_are_guarded),
        cmocka_unit_test(every_value_reads_back_exactly),
        cmocka_unit_test(records_and_line_numbers),
        cmocka_unit_test(the_reader),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
