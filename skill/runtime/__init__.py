"""How requests arrive: the WSGI edge and Flask app, verification, the envelope, the dispatcher and
the Lambda entry (README, How it is built)."""
import warnings

# ask-sdk-model 1.82 and ask-sdk-core 1.19 write `\&` in docstrings, which Python 3.12 reports as
# "SyntaxWarning: invalid escape sequence" each time it compiles them: text in a docstring, so
# harmless. The Lambda build compiles the function's modules with this filter (Makefile,
# build-SkillFunction), and a function built without python3.12 at hand compiles them on each
# cold start, after this file has run: either way that warning from those two packages, and no
# other, stays out of the log.
SDK_DOCSTRING_ESCAPES = r".*[\\/]ask_sdk_(core|model)[\\/]"
warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning, SDK_DOCSTRING_ESCAPES)
