/* i18n.h: the pages' words in several languages. Strings live in web/i18n/<lang>.txt (embedded at
 * build time); i18n_init() reads them once at start-up. A key missing from a language falls
 * back to English, never to the key's name. Placeholders {1}..{3} are filled by i18n_fmt();
 * the files are plain text and are HTML-escaped on output, the arguments are HTML already.
 *
 * Ownership: the tables are built once and never freed or changed after i18n_init(), so any
 * thread may read them. */
#ifndef SECLABEL_I18N_H
#define SECLABEL_I18N_H

#include "buf.h"
#include "decl_fields.h"
#include "langs.h"

#include <stddef.h>
#include <stdint.h>

#define I18N_LANG_ENUM(name, code, html) I18N_##name,
enum i18n_lang { REG_LANGS(I18N_LANG_ENUM) I18N__LANGS };
#undef I18N_LANG_ENUM

/* The pages' own words: every key of web/i18n/en.txt but the labels of the declaration's page
 * rows, which come from decl_fields.h (see enum i18n_key). */
#define I18N_KEYS(X)                                                                               \
    X(lang_name)                                                                                   \
    X(site_tagline)                                                                                \
    X(lang_menu)                                                                                   \
    X(privacy)                                                                                     \
    X(status_active_title)                                                                         \
    X(status_active_body)                                                                          \
    X(status_soon_title)                                                                           \
    X(status_soon_body)                                                                            \
    X(status_ended_title)                                                                          \
    X(status_ended_body)                                                                           \
    X(withdrawn_title)                                                                             \
    X(withdrawn_body)                                                                              \
    X(withdrawn_period)                                                                            \
    X(broken_promise)                                                                              \
    X(by_line)                                                                                     \
    X(promises_heading)                                                                            \
    X(pw_ok_title)                                                                                 \
    X(pw_bad_title)                                                                                \
    X(pw_unique_per_device)                                                                        \
    X(pw_user_defined)                                                                             \
    X(pw_no_password)                                                                              \
    X(pw_universal)                                                                                \
    X(report_title)                                                                                \
    X(report_none_title)                                                                           \
    X(report_body)                                                                                 \
    X(report_policy)                                                                               \
    X(period_title)                                                                                \
    X(period_none_title)                                                                           \
    X(period_body)                                                                                 \
    X(period_none_body)                                                                            \
    X(period_over_title)                                                                           \
    X(period_over_body)                                                                            \
    X(use_heading)                                                                                 \
    X(updates_label)                                                                               \
    X(upd_auto_optout)                                                                             \
    X(upd_auto_fixed)                                                                              \
    X(upd_manual)                                                                                  \
    X(upd_consent)                                                                                 \
    X(upd_none)                                                                                    \
    X(upd_undisclosed)                                                                             \
    X(upd_other)                                                                                   \
    X(upd_also)                                                                                    \
    X(password_change_label)                                                                       \
    X(link_default)                                                                                \
    X(not_stated)                                                                                  \
    X(sensors_heading)                                                                             \
    X(sensor_audio)                                                                                \
    X(sensor_images)                                                                               \
    X(sensor_position)                                                                             \
    X(sensor_has)                                                                                  \
    X(sensor_has_not)                                                                              \
    X(details_heading)                                                                             \
    X(f_product_id)                                                                                \
    X(f_model)                                                                                     \
    X(f_gtin)                                                                                      \
    X(f_maker)                                                                                     \
    X(f_versions)                                                                                  \
    X(f_version)                                                                                   \
    X(f_created)                                                                                   \
    X(f_modified)                                                                                  \
    X(maker_all)                                                                                   \
    X(maker_verified)                                                                              \
    X(maker_unverified)                                                                            \
    X(checked_identity)                                                                            \
    X(checked_prefixes)                                                                            \
    X(checked_contact)                                                                             \
    X(history_heading)                                                                             \
    X(hist_created)                                                                                \
    X(hist_extended)                                                                               \
    X(hist_changed)                                                                                \
    X(hist_withdrawn)                                                                              \
    X(details_link)                                                                                \
    X(json_link)                                                                                   \
    X(cta_link)                                                                                    \
    X(back_link)                                                                                   \
    X(l2_title)                                                                                    \
    X(l2_intro)                                                                                    \
    X(l2_data_heading)                                                                             \
    X(l2_bom_heading)                                                                              \
    X(sbom_label)                                                                                  \
    X(hbom_label)                                                                                  \
    X(maintained_yes)                                                                              \
    X(maintained_no)                                                                               \
    X(l2_assurance_heading)                                                                        \
    X(contact_label)                                                                               \
    X(policy_label)                                                                                \
    X(l2_records_heading)                                                                          \
    X(home_title)                                                                                  \
    X(home_intro)                                                                                  \
    X(facets_heading)                                                                              \
    X(facets_total_one)                                                                            \
    X(facets_total_other)                                                                          \
    X(facets_active_one)                                                                           \
    X(facets_active_other)                                                                         \
    X(facets_soon_one)                                                                             \
    X(facets_soon_other)                                                                           \
    X(facets_ended_one)                                                                            \
    X(facets_ended_other)                                                                          \
    X(facets_unknown_one)                                                                          \
    X(facets_unknown_other)                                                                        \
    X(facets_met_one)                                                                              \
    X(facets_met_other)                                                                            \
    X(facets_not_met_one)                                                                          \
    X(facets_not_met_other)                                                                        \
    X(facets_withdrawn_one)                                                                        \
    X(facets_withdrawn_other)                                                                      \
    X(facets_markets)                                                                              \
    X(search_label)                                                                                \
    X(filter_support)                                                                              \
    X(filter_compliant)                                                                            \
    X(any)                                                                                         \
    X(opt_active)                                                                                  \
    X(opt_soon)                                                                                    \
    X(opt_ended)                                                                                   \
    X(opt_met)                                                                                     \
    X(opt_not_met)                                                                                 \
    X(search_button)                                                                               \
    X(results_heading)                                                                             \
    X(col_product)                                                                                 \
    X(col_state)                                                                                   \
    X(col_maker)                                                                                   \
    X(col_updates)                                                                                 \
    X(col_promises)                                                                                \
    X(state_active)                                                                                \
    X(state_ending_soon)                                                                           \
    X(state_ended)                                                                                 \
    X(state_not_compliant)                                                                         \
    X(state_withdrawn)                                                                             \
    X(row_until)                                                                                   \
    X(row_soon)                                                                                    \
    X(row_ended)                                                                                   \
    X(row_none)                                                                                    \
    X(row_void)                                                                                    \
    X(row_kept_over)                                                                               \
    X(met)                                                                                         \
    X(not_met)                                                                                     \
    X(no_results)                                                                                  \
    X(next_page)                                                                                   \
    X(first_page)                                                                                  \
    X(csv_link)                                                                                    \
    X(m_title)                                                                                     \
    X(m_website)                                                                                   \
    X(m_contact)                                                                                   \
    X(m_verification)                                                                              \
    X(m_evidence)                                                                                  \
    X(m_prefixes)                                                                                  \
    X(m_products)                                                                                  \
    X(m_not_found_title)                                                                           \
    X(m_not_found_body)                                                                            \
    X(nf_title)                                                                                    \
    X(nf_body)                                                                                     \
    X(nf_gtin_body)                                                                                \
    X(month_1)                                                                                     \
    X(month_2)                                                                                     \
    X(month_3)                                                                                     \
    X(month_4)                                                                                     \
    X(month_5)                                                                                     \
    X(month_6)                                                                                     \
    X(month_7)                                                                                     \
    X(month_8)                                                                                     \
    X(month_9)                                                                                     \
    X(month_10)                                                                                    \
    X(month_11)                                                                                    \
    X(month_12)                                                                                    \
    X(date_format)                                                                                 \
    X(years_one)                                                                                   \
    X(years_other)                                                                                 \
    X(months_one)                                                                                  \
    X(months_other)                                                                                \
    X(days_one)                                                                                    \
    X(days_other)                                                                                  \
    X(f_log)                                                                                       \
    X(log_entry)                                                                                   \
    X(log_check_link)                                                                              \
    X(l2_log_heading)                                                                              \
    X(log_index_label)                                                                             \
    X(log_entry_bytes)                                                                             \
    X(log_size_label)                                                                              \
    X(log_pending)                                                                                 \
    X(log_none)                                                                                    \
    X(log_verify_label)                                                                            \
    X(log_title)                                                                                   \
    X(log_intro)                                                                                   \
    X(log_proves)                                                                                  \
    X(log_limits)                                                                                  \
    X(log_key_heading)                                                                             \
    X(log_key_body)                                                                                \
    X(log_size_body)                                                                               \
    X(log_cli_heading)                                                                             \
    X(log_cli_body)                                                                                \
    X(log_tools_heading)                                                                           \
    X(log_tools_body)

/* The keys: I18N_KEYS, then I18N_<key> for each ROW of decl_fields.h, the label of a
 * declaration field's page row (i18n.c names them the same way); every language file must have
 * them as it has the others. */
enum i18n_key {
#define X(k) I18N_##k,
    I18N_KEYS(X)
#undef X
#define ROW(section, how, key) I18N_##key,
#define NO_ROW
        DECL_FIELDS(DECL_PAGE_)
#undef NO_ROW
#undef ROW
            I18N__KEYS
};

/* Parse the embedded files. 0, or REG_EINTERNAL (the build embedded broken files) with the
 * reason in the log (an unknown key, a line without " = ", or an English key missing). Calling
 * it again does nothing. */
int i18n_init(void);
/* Keys a language lacks (0 for a complete translation). */
int i18n_missing(enum i18n_lang lang);
/* The text of key in lang, or the English one. Never NULL after i18n_init(). */
const char *i18n_get(enum i18n_lang lang, enum i18n_key key);
/* Append key's text with {1}.. replaced by args (HTML, not escaped again); the text itself is
 * HTML-escaped. */
void i18n_fmt(struct buf *out, enum i18n_lang lang, enum i18n_key key, int nargs,
              const char *const *args);
/* Append key's text, escaped. */
void i18n_put(struct buf *out, enum i18n_lang lang, enum i18n_key key);
/* A day (days since 1970-01-01) as the language writes it: "31 December 2030". */
void i18n_date(struct buf *out, enum i18n_lang lang, int64_t day);
/* A span of days in words: "5 years", "2 months", "12 days". */
void i18n_span(struct buf *out, enum i18n_lang lang, int64_t days);

/* "en", "de", "zh" (the ?lang= value), and the HTML lang attribute ("zh-Hans"). */
const char *i18n_code(enum i18n_lang lang);
const char *i18n_html_lang(enum i18n_lang lang);
/* The language for a request: ?lang= if it names one, else the best Accept-Language match
 * (q-values honoured), else English. query may be NULL; accept may be NULL. */
enum i18n_lang i18n_pick(const char *query, const char *accept, size_t accept_len);

#endif
