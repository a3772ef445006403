/**
 * Fixed token costs for non-text inputs, which a local count cannot measure
 * without decoding the media. Each is the provider's documented cost of a
 * typical 1024×1024 image; documents, audio and video are not estimated
 * (their text is counted where the body carries it) and are reconciled from
 * usage at settlement.
 */

/**
 * OpenAI vision: `low` detail is a flat 85 tokens; `high`/`auto` is 85 + 170
 * per 512-px tile, i.e. 765 for 1024×1024 (platform.openai.com/docs/guides/images-vision).
 */
export const OPENAI_IMAGE_TOKENS = Object.freeze({ low: 85, high: 765 });

/**
 * Anthropic: tokens ≈ width × height / 750, and images are scaled down to
 * about 1.15 megapixels, so ~1600 is the most one image costs
 * (docs.claude.com/en/docs/build-with-claude/vision).
 */
export const ANTHROPIC_IMAGE_TOKENS = 1_600;

/**
 * Gemini: 258 tokens per 768×768 tile; a 1024×1024 image takes four
 * (ai.google.dev/gemini-api/docs/tokens).
 */
export const GEMINI_IMAGE_TOKENS = 1_032;
