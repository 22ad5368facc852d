// The login page, and logging out.
import type { Area } from '../table.js';

export const login = {
  'login.title': 'Log in · picamd',
  'login.heading': 'Log in to this camera',
  'login.user': 'User name',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.forgot': 'Forgot the password? Hold the privacy button on the device for 10 seconds while it starts, then choose a new owner.',
  'login.missing': 'Enter your user name and password.',
  'login.checking': 'Checking…',
  'login.wrong': 'Wrong user name or password.',
  'login.tooMany': 'Too many failed logins from this address; try again in {seconds} s.',
  'login.busy': 'The camera is checking other logins; try again in a moment.',
  'login.logOut': 'Log out',
  'login.logOutTitle': 'End this session on the device',
  'login.logIn': 'Log in',
  'login.loggedInAs': 'Logged in as {name}',
  'login.logOutFailed': 'The device did not answer; you are still logged in.',
} satisfies Area<'login'>;
