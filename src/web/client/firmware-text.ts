// Every word of the Firmware card in one place, so they can move into the translation table as
// they are. Functions for the ones that carry values.

export const FIRMWARE_TEXT = {
  heading: 'Firmware',
  running: (version: string) => `picamd ${version} runs on this camera.`,
  upload: 'Upload update…',
  uploadHint: 'A signed .update file of a picamd release. The camera checks it, installs it, restarts and goes back by itself if the new version does not come up.',
  allowDowngrade: 'Allow an older version (downgrade)',
  goBack: (version: string) => `Go back to ${version}`,
  goBackConfirm: (version: string) => `Go back to picamd ${version}? The camera restarts; your settings stay.`,
  goBackYes: 'Go back',
  cancel: 'Cancel',
  steps: {
    receiving: 'Receiving',
    verifying: 'Verifying',
    installing: 'Installing',
    restarting: 'Restarting',
    checking: 'Checking',
  },
  receiving: (percent: number) => `Receiving the file: ${percent} %`,
  verifying: (version: string) => (version ? `Checking picamd ${version}…` : 'Checking the file…'),
  installing: (version: string) => `Installing picamd ${version}…`,
  restarting: (version: string) => `Restarting with picamd ${version}…`,
  checking: (version: string) => `picamd ${version} is running; checking that it is healthy…`,
  committed: (version: string) => `Updated to picamd ${version}.`,
  rolledBack: (version: string, reason: string) => `The update to ${version} failed and was rolled back: ${reason}`,
  refused: (reason: string) => `The update was refused: ${reason}`,
  failed: (reason: string) => `The update failed: ${reason}`,
  downgradeHint: 'Tick "Allow an older version" and upload the file again to install it.',
  unreachable: 'The camera does not answer yet (it may be restarting)…',
  uploadFailed: 'The upload was interrupted; try again.',
};
