"""The floor for a Python cold start (`make bench-peers`): a bare ``ask-sdk-core`` Lambda
handler with one LaunchRequest handler, no content, no store. Reads one event from stdin."""
import json
import sys

from ask_sdk_core.skill_builder import SkillBuilder

builder = SkillBuilder()


@builder.request_handler(can_handle_func=lambda handler_input: True)
def launch(handler_input):
    return handler_input.response_builder.speak("Welcome.").ask("What would you like?").response


handler = builder.lambda_handler()

if __name__ == "__main__":
    print(json.dumps(handler(json.load(sys.stdin), None)))
