"""
An OAuth authorization server built with Authlib (Debian's python3-authlib, Flask), set up as its
documentation shows: AuthorizationServer with the authorization-code grant and PKCE
(CodeChallenge), the refresh-token grant with its defaults, dynamic client registration
(RFC 7591), and a small MCP endpoint that accepts the tokens the server issued.

Authlib's RefreshTokenGrant defaults: INCLUDE_NEW_REFRESH_TOKEN = False (a refresh response
carries no refresh token) and revoke_old_credential revokes the token that was used, as its
documentation's example does. A connection then survives one refresh only.

Env: INCLUDE_NEW_REFRESH_TOKEN=1 turns rotation on (the sound twin). Prints `listening <port>`
on stderr.
"""
import hmac
import json
import os
import sys
import time

# Plain http on loopback, as Authlib's documentation says for local development.
os.environ.setdefault('AUTHLIB_INSECURE_TRANSPORT', '1')

from flask import Flask, Response, request
from werkzeug.serving import make_server
from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, AuthorizationCodeMixin, grants
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

app = Flask(__name__)
# Issue refresh tokens (Authlib's documented setting; off by default).
app.config['OAUTH2_REFRESH_TOKEN_GENERATOR'] = True
ORIGIN = {}
SCOPES = ['mcp:read', 'mcp:write']
clients, codes, tokens = {}, {}, {}
USER = {'id': 'user-1'}


def origin():
    return ORIGIN['value']


class Client(ClientMixin):
    def __init__(self, info, metadata):
        self.client_id = info['client_id']
        self.client_secret = info.get('client_secret')
        self.metadata = metadata

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return (self.metadata.get('redirect_uris') or [None])[0]

    def get_allowed_scope(self, scope):
        if not scope:
            return ''
        return ' '.join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.metadata.get('redirect_uris', [])

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and hmac.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == 'token':
            return method == self.metadata.get('token_endpoint_auth_method', 'client_secret_basic')
        return True

    def check_response_type(self, response_type):
        return response_type in self.metadata.get('response_types', ['code'])

    def check_grant_type(self, grant_type):
        return grant_type in self.metadata.get('grant_types', ['authorization_code'])


class Code(AuthorizationCodeMixin):
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_auth_time(self):
        return self.auth_time


class Token(TokenMixin):
    def __init__(self, client_id, body):
        self.client_id = client_id
        self.access_token = body['access_token']
        self.refresh_token = body.get('refresh_token')
        self.scope = body.get('scope', '')
        self.expires_in = body.get('expires_in', 0)
        self.issued_at = time.time()
        self.revoked = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none']

    def save_authorization_code(self, code, req):
        codes[code] = Code(code=code, client_id=req.client.get_client_id(), redirect_uri=req.redirect_uri,
                           scope=req.scope, user=req.user, auth_time=time.time(),
                           code_challenge=req.data.get('code_challenge'),
                           code_challenge_method=req.data.get('code_challenge_method'))

    def query_authorization_code(self, code, client):
        c = codes.get(code)
        if c and c.client_id == client.get_client_id():
            return c
        return None

    def delete_authorization_code(self, authorization_code):
        codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none']
    INCLUDE_NEW_REFRESH_TOKEN = os.environ.get('INCLUDE_NEW_REFRESH_TOKEN') == '1'

    def authenticate_refresh_token(self, refresh_token):
        for t in tokens.values():
            if t.refresh_token == refresh_token and not t.revoked:
                return t
        return None

    def authenticate_user(self, credential):
        return USER

    def revoke_old_credential(self, credential):
        credential.revoked = True


def save_token(body, req):
    tokens[body['access_token']] = Token(req.client.get_client_id(), body)


server = AuthorizationServer(app, query_client=clients.get, save_token=save_token)
server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
server.register_grant(RefreshTokenGrant)


def metadata():
    o = origin()
    return {
        'issuer': o,
        'authorization_endpoint': f'{o}/authorize',
        'token_endpoint': f'{o}/token',
        'registration_endpoint': f'{o}/register',
        'scopes_supported': SCOPES,
        'response_types_supported': ['code'],
        'grant_types_supported': ['authorization_code', 'refresh_token'],
        'code_challenge_methods_supported': ['S256'],
        'token_endpoint_auth_methods_supported': ['client_secret_basic', 'client_secret_post', 'none'],
    }


class Register(ClientRegistrationEndpoint):
    def authenticate_token(self, req):
        return True  # open registration, as MCP clients need

    def resolve_public_key(self, req):
        return None

    def save_client(self, client_info, client_metadata, req):
        c = Client(client_info, client_metadata)
        clients[c.client_id] = c
        return c

    def get_server_metadata(self):
        return metadata()


server.register_endpoint(Register)


@app.route('/.well-known/oauth-authorization-server')
def as_metadata():
    return metadata()


@app.route('/.well-known/oauth-protected-resource/mcp')
@app.route('/.well-known/oauth-protected-resource')
def prm():
    return {'resource': f'{origin()}/mcp', 'authorization_servers': [origin()], 'scopes_supported': SCOPES}


@app.route('/authorize')
def authorize():
    # The test user is signed in already and approves at once.
    return server.create_authorization_response(grant_user=USER)


@app.route('/token', methods=['POST'])
def issue_token():
    return server.create_token_response()


@app.route('/register', methods=['POST'])
def register():
    return server.create_endpoint_response(Register.ENDPOINT_NAME)


def rpc(msg, result):
    return Response(json.dumps({'jsonrpc': '2.0', 'id': msg.get('id'), 'result': result}), content_type='application/json')


@app.route('/mcp', methods=['POST', 'GET'])
def mcp():
    auth = request.headers.get('Authorization', '')
    token = tokens.get(auth[7:]) if auth.lower().startswith('bearer ') else None
    if not token or token.is_revoked() or token.is_expired():
        challenge = f'Bearer resource_metadata="{origin()}/.well-known/oauth-protected-resource/mcp"'
        if auth:
            challenge += ', error="invalid_token"'
        return Response(json.dumps({'error': 'invalid_token'}), status=401, content_type='application/json', headers={'WWW-Authenticate': challenge})
    msg = request.get_json(silent=True) or {}
    if 'id' not in msg:
        return Response(status=202)
    if msg.get('method') == 'initialize':
        return rpc(msg, {'protocolVersion': (msg.get('params') or {}).get('protocolVersion', '2025-11-25'), 'capabilities': {'tools': {}}, 'serverInfo': {'name': 'authlib-mcp', 'version': '1'}})
    if msg.get('method') == 'tools/list':
        return rpc(msg, {'tools': []})
    return Response(json.dumps({'jsonrpc': '2.0', 'id': msg.get('id'), 'error': {'code': -32601, 'message': 'Method not found'}}), content_type='application/json')


if __name__ == '__main__':
    srv = make_server('127.0.0.1', 0, app, threaded=True)
    ORIGIN['value'] = f'http://127.0.0.1:{srv.server_port}'
    print(f'listening {srv.server_port}', file=sys.stderr, flush=True)
    srv.serve_forever()
