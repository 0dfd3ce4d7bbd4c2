/*
 * cr_target.c
 *		Is a target a phone number or an e-mail address?
 *
 * Phone: an optional "tel:" prefix (any case), an optional "+", then 7 to 15
 * digits with optional separators (space - . ( )) and nothing else.
 *
 * E-mail: a local part (a dot-atom of RFC 5322 atext plus any non-ASCII
 * byte, or a quoted string) of at most 64 bytes, "@", then a domain of at
 * least two dot-separated labels made of letters, digits, hyphens and
 * non-ASCII bytes, no label starting or ending with a hyphen, each at most
 * 63 bytes; at most 254 bytes in all.  The server has already checked that
 * the bytes are valid in its encoding.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "comm_result.h"

#define PHONE_MIN_DIGITS	7
#define PHONE_MAX_DIGITS	15
#define EMAIL_MAX_BYTES		254
#define LOCAL_MAX_BYTES		64
#define LABEL_MAX_BYTES		63

/*
 * Length of the invisible character at p (a space, a control or a format
 * character, per Unicode's White_Space and categories Cc and Cf), or 0 when
 * the character is visible.  Outside UTF-8 databases only ASCII is judged.
 */
static int
invisible_char(const char *p, const char *end)
{
	unsigned char c = (unsigned char) *p;
	pg_wchar	u;
	int			len;

	if (c < 0x80)
		return (c <= 0x20 || c == 0x7f) ? 1 : 0;
	if (GetDatabaseEncoding() != PG_UTF8)
		return 0;
	len = pg_utf_mblen((const unsigned char *) p);
	if (len > end - p)
		return 0;
	u = utf8_to_unicode((const unsigned char *) p);
	if ((u >= 0x80 && u <= 0xA0) || u == 0xAD || u == 0x1680 ||
		u == 0x180E || (u >= 0x2000 && u <= 0x200F) ||
		(u >= 0x2028 && u <= 0x202F) || (u >= 0x205F && u <= 0x2064) ||
		u == 0x3000 || u == 0xFEFF)
		return len;
	return 0;
}

/* Empty, or nothing but spaces and other invisible characters. */
bool
cr_is_blank(const char *s, int len)
{
	const char *end = s + len;
	int			n;

	for (const char *p = s; p < end; p += n)
	{
		n = invisible_char(p, end);
		if (n == 0)
			return false;
	}
	return true;
}

/* Non-ASCII text, other than invisible characters, counts as letters. */
static bool
is_visible_nonascii(const char *p, const char *end)
{
	return (unsigned char) *p >= 0x80 && invisible_char(p, end) == 0;
}

static bool
is_atext(const char *p, const char *end)
{
	unsigned char c = (unsigned char) *p;

	if (c >= 0x80)
		return is_visible_nonascii(p, end);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_label_char(const char *p, const char *end)
{
	unsigned char c = (unsigned char) *p;

	if (c >= 0x80)
		return is_visible_nonascii(p, end);
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-';
}

static CrTargetKind
classify_phone(const char *s, int len, const char **why)
{
	const char *p = s;
	const char *end = s + len;
	int			digits = 0;

	if (len >= 4 && pg_strncasecmp(p, "tel:", 4) == 0)
		p += 4;
	if (p < end && *p == '+')
		p++;
	for (; p < end; p++)
	{
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" -.()", *p) || *p == '\0')
		{
			*why = "A phone number may hold only digits, separators (space - . ( )), a leading \"+\" and a \"tel:\" prefix.";
			return CR_TARGET_INVALID;
		}
	}
	if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS)
	{
		*why = "A phone number has 7 to 15 digits.";
		return CR_TARGET_INVALID;
	}
	return CR_TARGET_PHONE;
}

/* Length of the local part ending at "@", or -1 when it is not valid. */
static int
local_part_length(const char *s, const char *end)
{
	const char *p = s;

	if (p < end && *p == '"')
	{
		for (p++; p < end && *p != '"'; p++)
		{
			unsigned char c = (unsigned char) *p;

			if (c == '\\')
			{
				p++;
				if (p >= end || (unsigned char) *p < 0x20 || *p == 0x7f)
					return -1;
			}
			else if (c < 0x20 || c == 0x7f ||
					 (c >= 0x80 && !is_visible_nonascii(p, end)))
				return -1;
		}
		if (p >= end)
			return -1;
		p++;					/* closing quote */
	}
	else
	{
		bool		after_dot = true;	/* no leading dot */

		for (; p < end && *p != '@'; p++)
		{
			if (*p == '.')
			{
				if (after_dot)
					return -1;
				after_dot = true;
			}
			else if (is_atext(p, end))
				after_dot = false;
			else
				return -1;
		}
		if (after_dot)
			return -1;			/* empty, or a trailing dot */
	}
	if (p >= end || *p != '@')
		return -1;
	return (int) (p - s);
}

static CrTargetKind
classify_email(const char *s, int len, const char **why)
{
	const char *end = s + len;
	const char *p;
	int			local_len;
	int			labels = 0;

	if (len > EMAIL_MAX_BYTES)
	{
		*why = "An e-mail address has at most 254 bytes.";
		return CR_TARGET_INVALID;
	}
	local_len = local_part_length(s, end);
	if (local_len < 0 || local_len > LOCAL_MAX_BYTES)
	{
		*why = "The local part of an e-mail address (before \"@\") must be a dot-separated run of letters, digits and !#$%&'*+-/=?^_`{|}~, or a quoted string, of at most 64 bytes.";
		return CR_TARGET_INVALID;
	}
	p = s + local_len + 1;
	for (;;)
	{
		const char *label = p;

		while (p < end && *p != '.')
		{
			if (!is_label_char(p, end))
				goto bad_domain;
			p++;
		}
		if (p == label || p - label > LABEL_MAX_BYTES ||
			*label == '-' || p[-1] == '-')
			goto bad_domain;
		labels++;
		if (p >= end)
			break;
		p++;					/* the dot */
	}
	if (labels < 2)
		goto bad_domain;
	return CR_TARGET_EMAIL;

bad_domain:
	*why = "The domain of an e-mail address must have at least two dot-separated labels of letters, digits and hyphens, none starting or ending with a hyphen, each at most 63 bytes.";
	return CR_TARGET_INVALID;
}

CrTargetKind
cr_classify_target(const char *s, int len, const char **why)
{
	if (memchr(s, '@', len) != NULL)
		return classify_email(s, len, why);
	return classify_phone(s, len, why);
}
