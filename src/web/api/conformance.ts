import type { CameraState as DeviceCameraState } from '../../device/camera/machine.js';
import type { PrivacySource as DevicePrivacySource } from '../../device/privacy/store.js';
import type { ApplyStatus } from '../../device/settings/apply.js';
import type { buildStatus } from '../../observe/status.js';
import type { Role as DeviceRole } from '../../device/accounts/rules.js';
import type { RecorderStatus } from '../../device/accounts/recorder.js';
import type { NetworkStatus as DeviceNetworkStatus } from '../../platform/network/network-status.js';
import type { StorageState as DeviceStorageState } from '../../platform/storage/storage-state.js';
import type { CameraState, DeviceStatus, NetworkStatus, PrivacySource, RecorderDocument, Role, SettingsStatus, StorageState } from './types.js';

// Compile-time only: the server's own types must match what the page is compiled against
// (types.d.ts). A new privacy source or camera state that the page does not know fails the build.

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;

export type Conformance = [
  Holds<Same<PrivacySource, DevicePrivacySource>>,
  Holds<Same<CameraState, DeviceCameraState>>,
  Holds<Same<Role, DeviceRole>>,
  Holds<Same<SettingsStatus['state'], ApplyStatus['state']>>,
  Holds<Extract<ApplyStatus, { state: 'rolled-back' }> extends SettingsStatus ? true : false>,
  Holds<Same<RecorderDocument, RecorderStatus>>,
  Holds<Same<NetworkStatus, DeviceNetworkStatus>>,
  Holds<Same<StorageState, DeviceStorageState>>,
  Holds<ReturnType<typeof buildStatus> extends Omit<DeviceStatus, 'settings'> ? true : false>,
];
